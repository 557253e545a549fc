import { Injectable } from '@nestjs/common';

/** The wall clock, injectable so time-dependent logic can be tested with a fixed time. */
@Injectable()
export class Clock {
  nowMs(): number {
    return Date.now();
  }
}
