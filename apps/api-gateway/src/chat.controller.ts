import { Body, Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChatService } from './chat.service.js';
import { ClientAuthGuard } from './client-auth.guard.js';

/** The client chat API: OpenAI's chat completions and Anthropic's messages, same routing behind both. */
@Controller('v1')
@UseGuards(ClientAuthGuard)
export class ChatController {
  constructor(private readonly chats: ChatService) {}

  @Post('chat/completions')
  openai(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.chats.handle('openai', body, request, reply);
  }

  @Post('messages')
  anthropic(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.chats.handle('anthropic', body, request, reply);
  }
}
