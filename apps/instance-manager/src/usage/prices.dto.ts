import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

const usd = { maxDecimalPlaces: 6 } as const;
/** The most a price column holds: DECIMAL(12, 6). */
const MAX_PRICE = 999_999.999999;

/** An operator's price for one model, USD per million tokens. */
export class SetPriceDto {
  @ApiProperty({ example: 2.5 })
  @IsNumber(usd)
  @Min(0)
  @Max(MAX_PRICE)
  inputUsdPerMtok!: number;

  @ApiProperty({ example: 10 })
  @IsNumber(usd)
  @Min(0)
  @Max(MAX_PRICE)
  outputUsdPerMtok!: number;

  @ApiPropertyOptional({ example: 1.25, description: 'Cache reads; the input price when absent' })
  @IsOptional()
  @IsNumber(usd)
  @Min(0)
  @Max(MAX_PRICE)
  cachedInputUsdPerMtok?: number;

  @ApiPropertyOptional({ description: 'Cache writes (Claude); the input price when absent' })
  @IsOptional()
  @IsNumber(usd)
  @Min(0)
  @Max(MAX_PRICE)
  cacheWriteUsdPerMtok?: number;

  @ApiPropertyOptional({ description: 'Reasoning tokens; the output price when absent' })
  @IsOptional()
  @IsNumber(usd)
  @Min(0)
  @Max(MAX_PRICE)
  reasoningUsdPerMtok?: number;

  @ApiPropertyOptional({ description: 'USD per request on top of tokens' })
  @IsOptional()
  @IsNumber(usd)
  @Min(0)
  @Max(1_000)
  requestUsd?: number;

  @ApiPropertyOptional({ example: 'negotiated rate, contract 2026-11' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  note?: string;
}

export class PriceDto extends SetPriceDto {
  @ApiProperty({ example: 'openai' })
  provider!: string;
  @ApiProperty({ example: 'gpt-4o' })
  model!: string;
  @ApiProperty({ enum: ['shipped', 'override'] })
  source!: string;
  @ApiProperty({ nullable: true, type: String, description: "The provider's pricing page of the shipped price" })
  sourcePage!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The day the shipped price was read' })
  checkedOn!: string | null;
  @ApiProperty({ nullable: true, type: Boolean, description: "False when read from copies, not the provider's page" })
  verified!: boolean | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' })
  updatedAt!: string | null;
}
