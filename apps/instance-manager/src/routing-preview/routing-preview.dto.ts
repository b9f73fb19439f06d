import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, IsArray, IsBoolean, IsObject, IsOptional, IsString, Matches } from 'class-validator';

/**
 * A sample chat request to route without sending it: the OpenAI chat fields the routing policy
 * looks at, the routing headers a client could send, and optionally a draft policy to try.
 */
export class RoutingPreviewRequest {
  @ApiProperty({ example: 'auto', description: 'auto (or another auto name), a model name, or "provider/model"' })
  // One rule, so a missing model gets one message rather than three.
  @Matches(/^[\s\S]{1,200}$/, {
    message: 'model must be a string of 1-200 characters: auto, a model name or "provider/model"',
  })
  model!: string;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ role: 'user', content: 'What changed in the 2026 tax rules?' }],
    description: 'OpenAI chat messages (text, images, tool calls): what the rules look at',
  })
  @IsArray({ message: 'messages must be a non-empty array of chat messages' })
  @ArrayNotEmpty({ message: 'messages must be a non-empty array of chat messages' })
  messages!: unknown[];

  @ApiPropertyOptional() @IsOptional() @IsBoolean({ message: 'stream must be true or false' }) stream?: boolean;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: 'OpenAI tool definitions (rules may route tool use elsewhere)',
  })
  @IsOptional()
  @IsArray({ message: 'tools must be an array of OpenAI tool definitions' })
  tools?: unknown[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { type: 'json_object' } })
  @IsOptional()
  @IsObject({ message: 'response_format must be an object' })
  response_format?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'high' })
  @IsOptional()
  @IsString({ message: 'reasoning_effort must be a string' })
  reasoning_effort?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-switchboard-prefer-provider': 'claude' },
    description:
      'Routing headers as a client would send them (x-switchboard-prefer-provider, x-switchboard-allow-fallback)',
  })
  @IsOptional()
  @IsObject({ message: 'headers must be an object of header names to string values' })
  headers?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'A draft routing policy to route by instead of the stored one; validated like PUT, never stored',
  })
  @IsOptional()
  @IsObject({ message: 'policy must be a routing policy object' })
  policy?: Record<string, unknown>;
}

export class PreviewInstanceView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Draining instances stay registered but get no new work' }) draining!: boolean;
}

export class PreviewCandidateView {
  @ApiProperty({ example: 'openai' }) provider!: string;
  @ApiProperty({ example: 'gpt-4o' }) model!: string;
  @ApiProperty({ example: 'openai/gpt-4o', description: "The balancer's pool" }) pool!: string;
  @ApiProperty({ example: "tier 'fast' chosen by rule 'short-prompts'" }) reason!: string;
  @ApiProperty({ type: [PreviewInstanceView], description: 'Enabled instances serving the pool (any health)' })
  instances!: PreviewInstanceView[];
}

export class PreviewPolicyView {
  @ApiProperty({
    enum: ['draft', 'consul', 'default', 'invalid'],
    description:
      'draft: the policy sent with the request; consul: the one stored in KV; default: none stored; invalid: KV holds a refused document, the built-in default was used here',
  })
  source!: string;
  @ApiPropertyOptional({ description: 'Consul ModifyIndex of the stored policy (absent for a draft)' })
  modifyIndex?: number;
}

export class RoutingPreviewView {
  @ApiProperty({ example: 'auto' }) requested!: string;
  @ApiPropertyOptional({ enum: ['explicit', 'model', 'auto'] }) mode?: string;
  @ApiPropertyOptional({ description: 'The tier an auto name resolved to' }) tier?: string;
  @ApiPropertyOptional({ description: 'The rule that chose the tier (absent: the default tier)' }) rule?: string;
  @ApiProperty({ type: [PreviewCandidateView], description: 'In the order the gateway would try them' })
  candidates!: PreviewCandidateView[];
  @ApiProperty({ type: [String], description: 'The decision step by step' }) reasons!: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'What the policy saw in the request (prompt tokens, images, tools, ...)',
  })
  features?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Why the request would be refused with 404 (no instance serves it)' })
  unroutable?: string;
  @ApiProperty({ type: PreviewPolicyView }) policy!: PreviewPolicyView;
}
