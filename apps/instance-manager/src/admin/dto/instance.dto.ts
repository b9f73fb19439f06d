import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { PROVIDER_NAMES, type ProviderName } from '@switchboard/providers';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class CreateInstanceDto {
  @ApiProperty({ example: 'openai-eu-1', description: 'Unique; letters, digits, dot, dash, underscore' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
    message: 'name must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({ enum: PROVIDER_NAMES })
  @IsIn(PROVIDER_NAMES, { message: `provider must be one of ${PROVIDER_NAMES.join(', ')}` })
  provider!: ProviderName;

  @ApiPropertyOptional({
    example: 'https://api.openai.com/v1',
    description:
      "Defaults to the provider's public endpoint. http(s) without user:password@; link-local and cloud metadata destinations are refused",
  })
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'baseUrl must be an http(s) URL' },
  )
  baseUrl?: string;

  @ApiProperty({ example: ['gpt-4o', 'gpt-4o-mini'] })
  @IsArray()
  @ArrayMinSize(1, { message: 'models must list at least one model' })
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(200, { each: true })
  models!: string[];

  @ApiPropertyOptional({ description: 'The API key; stored encrypted, never returned', writeOnly: true })
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'apiKey looks too short to be a provider key' })
  @MaxLength(500)
  apiKey?: string;

  @ApiPropertyOptional({
    example: 'SWITCHBOARD_PROVIDER_KEY_OPENAI_EU',
    description: 'Or: the environment variable that holds the key; its name starts with INSTANCE_KEY_ENV_PREFIX',
  })
  @IsOptional()
  @Matches(/^[A-Z_][A-Z0-9_]{0,127}$/, {
    message: 'apiKeyEnv must be an environment variable name such as SWITCHBOARD_PROVIDER_KEY_OPENAI_EU',
  })
  apiKeyEnv?: string;

  @ApiPropertyOptional({ example: 'eu-west' })
  @IsOptional()
  @ValidateIf((_dto, value) => value !== null)
  @Matches(/^[a-z0-9-]{1,50}$/, { message: 'region must be lowercase letters, digits and "-"' })
  region?: string | null;

  @ApiPropertyOptional({ example: ['tier:premium'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(/^[A-Za-z0-9:._/-]{1,100}$/, { each: true, message: 'each tag must be 1-100 letters, digits or ":._/-"' })
  tags?: string[];

  @ApiPropertyOptional({ default: 100, minimum: 0, maximum: 10000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  weight?: number;

  @ApiPropertyOptional({ default: 0, description: 'Lower is preferred', minimum: 0, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1000)
  priority?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    description: 'Non-secret headers sent upstream',
    example: { 'OpenAI-Organization': 'org-123' },
  })
  @IsOptional()
  @IsObject()
  extraHeaders?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Most requests in flight at once' })
  @IsOptional()
  @ValidateIf((_dto, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxConcurrency?: number | null;

  @ApiPropertyOptional({ description: 'Requests per minute' })
  @IsOptional()
  @ValidateIf((_dto, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  rateLimitRpm?: number | null;

  @ApiPropertyOptional({ default: 120000 })
  @IsOptional()
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  requestTimeoutMs?: number;

  @ApiPropertyOptional({ default: 30000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  firstTokenTimeoutMs?: number;

  @ApiPropertyOptional({ default: 30000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  idleTimeoutMs?: number;
}

export class UpdateInstanceDto extends PartialType(OmitType(CreateInstanceDto, ['provider'] as const)) {}

export class ListInstancesQuery {
  @ApiPropertyOptional({ enum: PROVIDER_NAMES })
  @IsOptional()
  @IsIn(PROVIDER_NAMES, { message: `provider must be one of ${PROVIDER_NAMES.join(', ')}` })
  provider?: ProviderName;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  @ApiPropertyOptional({ enum: ['passing', 'warning', 'critical', 'unknown'] })
  @IsOptional()
  @IsIn(['passing', 'warning', 'critical', 'unknown'], {
    message: 'health must be passing, warning, critical or unknown',
  })
  health?: 'passing' | 'warning' | 'critical' | 'unknown';

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number from 1' })
  @Min(1, { message: 'page must be a whole number from 1' })
  page = 1;

  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'pageSize must be a whole number from 1 to 500' })
  @Min(1, { message: 'pageSize must be a whole number from 1 to 500' })
  @Max(500, { message: 'pageSize must be a whole number from 1 to 500' })
  pageSize = 50;
}
