import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDate,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

const PATTERN = /^[A-Za-z0-9._:/*@-]{1,200}$/;
/** The most a budget column holds: DECIMAL(14, 6). */
const MAX_BUDGET_USD = 99_999_999.999999;
const PATTERN_MESSAGE = 'each pattern is 1-200 letters, digits or . _ : / * @ - (a * matches any run of characters)';

/** A key's limits; on update, null clears one (no limit) and a field left out stays as it is. */
export class CreateClientKeyDto {
  @ApiProperty({ example: 'mobile-app' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ description: 'Requests per minute for this key; no limit when absent', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  rateLimitRpm?: number | null;

  @ApiPropertyOptional({ description: 'Input plus output tokens per minute; no limit when absent', nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  tokensPerMinute?: number | null;

  @ApiPropertyOptional({ description: 'USD per UTC day; refused with 429 insufficient_quota past it', nullable: true })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 6 })
  @Min(0)
  @Max(MAX_BUDGET_USD)
  dailyBudgetUsd?: number | null;

  @ApiPropertyOptional({ description: 'USD per UTC month', nullable: true })
  @IsOptional()
  @IsNumber({ maxDecimalPlaces: 6 })
  @Min(0)
  @Max(MAX_BUDGET_USD)
  monthlyBudgetUsd?: number | null;

  @ApiPropertyOptional({
    example: ['gpt-4o*', 'claude/*'],
    description: 'Glob patterns of model names or provider/model; empty allows every model',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(PATTERN, { each: true, message: `allowedModels: ${PATTERN_MESSAGE}` })
  allowedModels?: string[];

  @ApiPropertyOptional({
    example: ['openai', 'claude'],
    description: 'Glob patterns of provider names; empty allows all',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(PATTERN, { each: true, message: `allowedProviders: ${PATTERN_MESSAGE}` })
  allowedProviders?: string[];

  @ApiPropertyOptional({
    example: '2027-01-01T00:00:00Z',
    description: 'Refused with 401 from then on',
    nullable: true,
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'expiresAt must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z' })
  expiresAt?: Date | null;

  @ApiPropertyOptional({ description: 'Keep prompts and answers in the request log (credentials redacted)' })
  @IsOptional()
  @IsBoolean()
  logBodies?: boolean;
}

/** On update a name may be left out (kept as it is) but not cleared: every key has one. */
export class UpdateClientKeyDto extends PartialType(OmitType(CreateClientKeyDto, ['name'])) {
  @ApiPropertyOptional({ example: 'mobile-app' })
  @ValidateIf((_, value) => value !== undefined)
  @IsString({ message: 'name must be a string: a key cannot be left without a name (leave name out to keep it)' })
  @MinLength(1)
  @MaxLength(100)
  name?: string;
}

export class ClientKeyDto extends OmitType(CreateClientKeyDto, ['expiresAt']) {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The first characters of the key, to recognise it; never the key' })
  prefix!: string;

  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  expiresAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  revokedAt!: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  lastUsedAt!: string | null;
}

export class CreatedClientKeyDto extends ClientKeyDto {
  @ApiProperty({ description: 'The key itself: shown in this answer only, stored as a hash' })
  key!: string;
}
