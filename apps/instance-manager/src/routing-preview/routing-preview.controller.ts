import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '@switchboard/platform';
import { RoutingPreviewRequest, RoutingPreviewView } from './routing-preview.dto.js';
import { RoutingPreviewService } from './routing-preview.service.js';

@ApiTags('routing policy')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/routing-policy/preview')
export class RoutingPreviewController {
  constructor(private readonly preview: RoutingPreviewService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Which (provider, model) pools a sample request would be routed to, in order, and why',
    description:
      "Runs the gateways' router over the stored policy (or the draft in `policy`) and the enabled instances, sending nothing upstream. A model no instance serves is answered 200 with no candidates and `unroutable` saying why.",
  })
  @ApiOkResponse({ type: RoutingPreviewView })
  @ApiBadRequestResponse({
    description: 'A bad field, named: model, messages[0].content, headers.<name>, policy.<field>, ...',
  })
  route(@Body() body: RoutingPreviewRequest): Promise<RoutingPreviewView> {
    return this.preview.preview(body);
  }
}
