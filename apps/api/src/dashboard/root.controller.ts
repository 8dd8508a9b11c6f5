import { Controller, Get, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/access.decorator';

/** `GET /` sends a person who opens the API's address in a browser to the built-in dashboard. */
@ApiExcludeController()
@Public()
@Controller()
export class RootController {
  @Get()
  @Redirect('/dashboard', 302)
  root(): void {}
}
