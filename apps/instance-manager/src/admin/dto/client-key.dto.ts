import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export class CreateClientKeyDto {
  @ApiProperty({ example: 'mobile-app' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ description: 'Requests per minute for this key; the gateway default when absent' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  rateLimitRpm?: number;
}
