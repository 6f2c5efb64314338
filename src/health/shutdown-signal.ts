import { Injectable } from '@nestjs/common';

/**
 * Set once when the process is told to stop (main.ts, on SIGTERM or SIGINT), before the server stops
 * accepting connections: from then on readiness answers 503, so load balancers and orchestrators send
 * no new work while the requests in flight finish. Liveness ignores it — a draining process is alive.
 */
@Injectable()
export class ShutdownSignal {
  private shuttingDownSince: Date | null = null;

  begin(): void {
    this.shuttingDownSince ??= new Date();
  }

  get shuttingDown(): boolean {
    return this.shuttingDownSince !== null;
  }
}
