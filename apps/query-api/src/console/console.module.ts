import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { ConsoleAssets, type ConsoleBuild } from './console-assets';
import { CONSOLE_BUILD, ConsoleController } from './console.controller';

/** The web console at `/` (CONSOLE_ENABLED), from the build in `dir` (CONSOLE_DIR). */
@Module({})
export class ConsoleModule {
  static forRoot(dir: string): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [ConsoleController],
      providers: [{ provide: CONSOLE_BUILD, useFactory: (): ConsoleBuild => loadAndReport(dir) }],
    };
  }
}

function loadAndReport(dir: string): ConsoleBuild {
  const logger = new Logger('Console');
  const build = ConsoleAssets.load(dir);
  if (build.ok) logger.log(`web console at / (${build.assets.names.length} files from ${dir})`);
  // Not fatal: the API works without its console (a build from source, a slim image); `/` says why.
  else logger.warn(`web console unavailable: ${build.reason}`);
  return build;
}
