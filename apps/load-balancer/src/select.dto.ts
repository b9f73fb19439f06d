import { IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { type BalancingStrategy, STRATEGIES } from '@switchboard/routing';

export class SelectRequestDto {
  /** The pool: "provider/model", e.g. "openai/gpt-4o". */
  @IsString()
  @Matches(/^[a-z_]+\/.+$/, { message: 'pool must be "provider/model", e.g. openai/gpt-4o' })
  @MaxLength(300)
  pool!: string;

  /** Overrides the policy's strategy for this pool. */
  @IsOptional()
  @IsIn(STRATEGIES, { message: `strategy must be one of ${STRATEGIES.join(', ')}` })
  strategy?: BalancingStrategy;

  /** Instance ids not to pick (tried already). */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  exclude?: string[];
}
