import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '@switchboard/platform';
import { REQUEST_ERROR_KINDS } from '@switchboard/routing';

class ErrorKindDto {
  @ApiProperty({ example: 'daily_budget' })
  kind!: string;
  @ApiProperty({ example: "the key's daily spend limit was reached" })
  meaning!: string;
}

@ApiTags('usage')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('admin/requests/error-kinds')
export class ErrorKindsController {
  @Get()
  @ApiOperation({ summary: "Every errorKind a request log row can hold, with its meaning (the console's filter list)" })
  @ApiOkResponse({ type: [ErrorKindDto] })
  list(): readonly ErrorKindDto[] {
    return REQUEST_ERROR_KINDS;
  }
}
