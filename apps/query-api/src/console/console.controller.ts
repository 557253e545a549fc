// Serves the web console (apps/console): index.html at `/`, its assets under /console/. Open without
// an API key, like /docs: the page holds no data; it asks for a key and calls the same /v1 endpoints
// as any client, so it sees exactly what that key may see. Its strict CSP is set with the other
// security headers (libs/telemetry security-headers.ts).
import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ProblemException } from '@tokenmeter/telemetry';
import type { FastifyReply } from 'fastify';
import type { ConsoleAsset, ConsoleAssets, ConsoleBuild } from './console-assets';

export const CONSOLE_BUILD = Symbol('CONSOLE_BUILD');

@ApiExcludeController()
@Controller()
export class ConsoleController {
  constructor(@Inject(CONSOLE_BUILD) private readonly build: ConsoleBuild) {}

  @Get()
  index(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    send(reply, this.loaded().index, ifNoneMatch);
  }

  @Get('console/:file')
  asset(
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    const asset = this.loaded().asset(file);
    if (asset === undefined) throw new ProblemException(404, 'No such console file.');
    send(reply, asset, ifNoneMatch);
  }

  private loaded(): ConsoleAssets {
    // Why is in the service's log (it names the directory, which is not the client's business).
    if (!this.build.ok)
      throw new ProblemException(404, 'The web console is not built into this query API; see its log.');
    return this.build.assets;
  }
}

function send(reply: FastifyReply, asset: ConsoleAsset, ifNoneMatch: string | undefined): void {
  void reply.header('etag', asset.etag).header('cache-control', asset.cacheControl);
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)) {
    void reply.code(304).send();
    return;
  }
  void reply.header('content-type', asset.contentType).send(asset.body);
}
