import { describeError } from '@switchboard/kernel';

/** Says what went wrong with an answer, or undefined when it is good. */
export type AnswerJudge = (status: number, text: string) => string | undefined;

/** A good answer is a 200. */
export const NEEDS_200: AnswerJudge = (status, text) =>
  status === 200 ? undefined : `HTTP ${status}: ${text.slice(0, 200)}`;

/** A good OpenAI stream is a 200 that ends with its terminator (a stream cut short is no success). */
export const NEEDS_WHOLE_STREAM: AnswerJudge = (status, text) =>
  status !== 200
    ? `HTTP ${status}: ${text.slice(0, 200)}`
    : text.trimEnd().endsWith('data: [DONE]')
      ? undefined
      : `stream without its terminator: …${text.slice(-120)}`;

/** What a steady stream of requests met: how many were sent and which did not succeed. */
export interface LoadOutcome {
  sent: number;
  failures: string[];
}

/**
 * Sends one request every 1000/ratePerSecond ms until stopped, without waiting for answers to
 * send the next (an open loop, as real clients behave), and records every request that did not
 * end well with what it got.
 */
export class SteadyLoad {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcome: LoadOutcome = { sent: 0, failures: [] };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: () => Promise<Response>,
    private readonly ratePerSecond: number,
    private readonly judge: AnswerJudge = NEEDS_200,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.fire(), 1000 / this.ratePerSecond);
    // A test that fails half-way must not be kept alive by its load.
    this.timer.unref();
    return this;
  }

  /** Requests sent so far. */
  get sent(): number {
    return this.outcome.sent;
  }

  /** Stops sending and waits for every answer. */
  async stop(): Promise<LoadOutcome> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    return this.outcome;
  }

  private fire(): void {
    const at = new Date().toISOString();
    this.outcome.sent += 1;
    const request = this.send()
      .then(async (response) => {
        const failure = this.judge(response.status, await response.text());
        if (failure) this.outcome.failures.push(`${at} ${failure}`);
      })
      .catch((error: unknown) => {
        this.outcome.failures.push(`${at} ${describeError(error)}`);
      })
      .finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }
}
