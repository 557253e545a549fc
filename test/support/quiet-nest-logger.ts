// Unit tests assert on behaviour, not on Nest's console output.
import { Logger } from '@nestjs/common';

Logger.overrideLogger(false);
