import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ClientIdentity } from '@switchboard/fleet';
import { describeError, DomainError } from '@switchboard/kernel';
import { RedisService } from '@switchboard/redis';
import type { Redis } from 'ioredis';
import type { KeyRefusal } from './key-refusal.js';
import { slidingCount, WINDOW_MS, windowOf } from './minute-window.js';
import { spendPeriods } from './spend-periods.js';

const SPEND_PREFIX = 'switchboard:spend:';
const TOKENS_PREFIX = 'switchboard:tokens:';
/** Where a replica tells the others a key's new totals, the moment it adds its own spend. */
export const SPEND_EVENTS_CHANNEL = 'switchboard:spend-events';
/** How often every key's totals are re-read from Redis (events can be missed while reconnecting). */
export const BUDGET_SYNC_INTERVAL_MS = 250;
/** Spend is counted in millionths of a dollar, so Redis adds integers. */
const MICRO = 1_000_000;
const DAY_TTL_MS = 2 * 86_400_000;
const MONTH_TTL_MS = 32 * 86_400_000;

/** Adds one replica's new spend and tokens, returns the totals and tells the other replicas, in one round trip. */
const ADD_AND_PUBLISH = `
local day = redis.call('INCRBY', KEYS[1], ARGV[1]); redis.call('PEXPIRE', KEYS[1], ARGV[4])
local month = redis.call('INCRBY', KEYS[2], ARGV[2]); redis.call('PEXPIRE', KEYS[2], ARGV[5])
local tokens = redis.call('INCRBY', KEYS[3], ARGV[3]); redis.call('PEXPIRE', KEYS[3], ARGV[6])
if ARGV[12] == '1' then
  redis.call('PUBLISH', ARGV[7], ARGV[8] .. '|' .. ARGV[9] .. '|' .. day .. '|' .. ARGV[10] .. '|' .. month .. '|' .. ARGV[11] .. '|' .. tokens)
end
return {day, month, tokens}`;

/**
 * One counter of a key for one period: every replica's total as last heard, ours not yet sent,
 * and ours on its way to Redis (moved back to unsent if the push fails).
 */
interface Counter {
  period: string;
  shared: number;
  unsent: number;
  inFlight: number;
}

interface KeyUsage {
  /** The key has spend or token limits: its totals are published and re-read (others' only counted). */
  limited: boolean;
  /**
   * Every replica's totals of the current day and month have been heard (read, published or
   * returned by our own push) since this replica first saw the key or the period last rolled.
   * Until then its decisions rest on this replica's own counts only.
   */
  confirmed: boolean;
  /** A read of this key's totals is on its way (one at a time). */
  reading: boolean;
  day: Counter;
  month: Counter;
  /** Tokens in the current one-minute window (period is the window number) ... */
  tokens: Counter;
  /** ... and every replica's total of the window before, for the sliding minute. */
  previousTokens: number;
}

export type BudgetRefusal = Extract<KeyRefusal, 'daily_budget' | 'monthly_budget' | 'tokens_per_minute'>;

/** A key over its daily or monthly spend: 429, which OpenAI clients know as insufficient_quota. */
export class BudgetExceededError extends DomainError {
  readonly kind = 'rate_limited';

  constructor(
    readonly refusal: BudgetRefusal,
    message: string,
    readonly headers: Record<string, string>,
  ) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

export interface BudgetDecision {
  refusal?: BudgetRefusal;
  message?: string;
  /** For a tokens-per-minute refusal: when the minute frees up. */
  retryAfterSeconds?: number;
  /** What the client is told it has left (only the limits the key has). */
  headers: Record<string, string>;
  /**
   * For a key with limits: shared when the decision counted every replica's spend; local when this
   * replica has not yet heard the key's totals (first request here, a period just rolled, Redis away),
   * so only its own counts were known. A read is already on its way (see the README's bound).
   */
  scope?: 'shared' | 'local';
}

/**
 * Spend per UTC day and month and tokens per minute of each client key, shared by every gateway
 * replica through Redis and decided from memory, like the RateLimiter: a request never waits on
 * Redis. A replica counts what its requests cost as they finish and adds it to Redis on the next
 * turn of its event loop (one script per key: INCRBY the counters and PUBLISH the new totals), so
 * the other replicas hear of it within a round trip; every BUDGET_SYNC_INTERVAL_MS each replica
 * also re-reads the totals of the keys it knows. A request is let in while the key's known spend
 * is below its limit, so a key overshoots by at most the cost of the requests already in flight
 * when it crossed, plus what other replicas let in during the time it took them to hear (see the
 * README). Without Redis the counts stay local (the limit holds per replica) and are added when it
 * is back.
 */
@Injectable()
export class KeyBudgets implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeyBudgets.name);
  private readonly usage = new Map<string, KeyUsage>();
  private subscriber: Redis | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSyncError: string | undefined;

  constructor(private readonly redis: RedisService) {}

  onModuleInit(): void {
    this.redis.client.defineCommand('switchboardAddSpend', { numberOfKeys: 3, lua: ADD_AND_PUBLISH });
    const subscriber = this.redis.client.duplicate({
      connectionName: `${this.redis.client.options.connectionName ?? 'switchboard'}-spend`,
    });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined); // the main connection reports Redis being down
    subscriber.on('ready', () => {
      subscriber
        .subscribe(SPEND_EVENTS_CHANNEL)
        .catch((error: Error) => this.logger.warn(`Could not subscribe to spend events: ${error.message}`));
    });
    subscriber.on('message', (_channel: string, message: string) => this.hear(message));
    this.timer = setInterval(() => void this.synchronise(), BUDGET_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
  }

  /** Whether the key may start a request now, from memory. Keys without spend or token limits pass untouched. */
  check(identity: ClientIdentity, now = Date.now()): BudgetDecision {
    const { dailyBudgetUsd, monthlyBudgetUsd, tokensPerMinute } = identity;
    if (dailyBudgetUsd === null && monthlyBudgetUsd === null && tokensPerMinute === null) return UNLIMITED;
    const entry = this.current(identity.id, now);
    entry.limited = true;
    // Decided now from what is known; the key's totals are asked for at once, not awaited.
    if (!entry.confirmed) this.readSoon(identity.id, entry);
    const headers: Record<string, string> = {};
    const periods = spendPeriods(now);
    let decision: BudgetDecision = { headers };
    const spentToday = known(entry.day) / MICRO;
    const spentMonth = known(entry.month) / MICRO;
    if (dailyBudgetUsd !== null) {
      headers['x-switchboard-budget-daily-limit-usd'] = String(dailyBudgetUsd);
      headers['x-switchboard-budget-daily-remaining-usd'] = remaining(dailyBudgetUsd, spentToday);
      if (spentToday >= dailyBudgetUsd)
        decision = refuse(decision, 'daily_budget', `daily budget of $${dailyBudgetUsd}`, periods.dayEndsInSeconds);
    }
    if (monthlyBudgetUsd !== null) {
      headers['x-switchboard-budget-monthly-limit-usd'] = String(monthlyBudgetUsd);
      headers['x-switchboard-budget-monthly-remaining-usd'] = remaining(monthlyBudgetUsd, spentMonth);
      if (spentMonth >= monthlyBudgetUsd)
        decision = refuse(
          decision,
          'monthly_budget',
          `monthly budget of $${monthlyBudgetUsd}`,
          periods.monthEndsInSeconds,
        );
    }
    if (tokensPerMinute !== null) {
      const used = slidingCount(known(entry.tokens), entry.previousTokens, now);
      headers['x-ratelimit-limit-tokens'] = String(tokensPerMinute);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokensPerMinute - used)));
      if (used >= tokensPerMinute && !decision.refusal) {
        const retryAfterSeconds = Math.max(1, Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000));
        decision = {
          headers,
          refusal: 'tokens_per_minute',
          retryAfterSeconds,
          message: `Token limit of ${tokensPerMinute} tokens per minute reached for this key; retry in ${retryAfterSeconds} s`,
        };
      }
    }
    decision.scope = entry.confirmed ? 'shared' : 'local';
    return decision;
  }

  /**
   * Counts what a finished request cost (USD, when known) and the tokens it used. For a key with
   * spend or token limits the addition goes to Redis at once, before the answer's last bytes
   * leave (sent, not awaited: the other replicas hear of it before the client can ask them
   * again); other keys' counts wait for the next synchronise.
   */
  charge(identity: ClientIdentity, costUsd: number | undefined, tokens: number, now = Date.now()): void {
    const micro = costUsd === undefined ? 0 : Math.round(costUsd * MICRO);
    if (micro === 0 && tokens === 0) return;
    const entry = this.current(identity.id, now);
    entry.limited = hasLimits(identity);
    entry.day.unsent += micro;
    entry.month.unsent += micro;
    entry.tokens.unsent += tokens;
    if (hasLimits(identity) && this.redis.available)
      void this.pushKey(identity.id, entry).catch((error) => this.syncFailed(error));
  }

  /** Today's spend (USD) of the keys this replica knows, highest first: the bounded per-key metric. */
  topSpenders(count: number, now = Date.now()): { keyId: string; usd: number }[] {
    const { day } = spendPeriods(now);
    return [...this.usage]
      .filter(([, entry]) => entry.day.period === day)
      .map(([keyId, entry]) => ({ keyId, usd: known(entry.day) / MICRO }))
      .sort((a, b) => b.usd - a.usd)
      .slice(0, count);
  }

  /** Adds every key's unsent counts to Redis and publishes the totals. Tests call it to skip the wait. */
  async push(): Promise<void> {
    if (!this.redis.available) return;
    try {
      const pending = [...this.usage].filter(
        ([, entry]) => entry.day.unsent > 0 || entry.month.unsent > 0 || entry.tokens.unsent > 0,
      );
      await Promise.all(pending.map(([keyId, entry]) => this.pushKey(keyId, entry)));
      this.syncSucceeded();
    } catch (error) {
      this.syncFailed(error);
    }
  }

  /** Pushes what is unsent and re-reads every known key's totals. Runs on a timer. */
  async synchronise(now = Date.now()): Promise<void> {
    if (!this.redis.available) return;
    await this.push();
    this.prune(now);
    // Only limited keys' totals decide anything; the others are counted and pushed, not re-read.
    await this.read([...this.usage].filter(([, entry]) => entry.limited));
  }

  /**
   * Forgets keys whose counts no longer matter: a limited key once its month has ended (its day and
   * month spend decide until then, even when it is idle), any other key two minutes after its last
   * tokens. Nothing unsent or on its way is forgotten.
   */
  private prune(now: number): void {
    const window = windowOf(now);
    const { month } = spendPeriods(now);
    for (const [keyId, entry] of this.usage) {
      if (pending(entry.day) || pending(entry.month) || pending(entry.tokens)) continue;
      const ended = entry.limited ? entry.month.period !== month : Number(entry.tokens.period) < window - 1;
      if (ended) this.usage.delete(keyId);
    }
  }

  /** Asks for a key's totals now (its first request here, or its period rolled), once at a time. */
  private readSoon(keyId: string, entry: KeyUsage): void {
    if (entry.reading || !this.redis.available) return;
    entry.reading = true;
    void this.read([[keyId, entry]]).finally(() => {
      entry.reading = false;
    });
  }

  /** Every replica's totals of these keys, in one pipelined round trip; an error is logged, not thrown. */
  private async read(keys: [string, KeyUsage][]): Promise<void> {
    if (keys.length === 0) return;
    // The counters asked about: a period that rolls meanwhile gets nothing of the old one's totals.
    const asked = keys.map(([, entry]) => ({ entry, day: entry.day, month: entry.month, tokens: entry.tokens }));
    try {
      const pipeline = this.redis.client.pipeline();
      for (const [keyId, entry] of keys) {
        pipeline.get(`${SPEND_PREFIX}${keyId}:d:${entry.day.period}`);
        pipeline.get(`${SPEND_PREFIX}${keyId}:m:${entry.month.period}`);
        pipeline.get(`${TOKENS_PREFIX}${keyId}:${entry.tokens.period}`);
        pipeline.get(`${TOKENS_PREFIX}${keyId}:${Number(entry.tokens.period) - 1}`);
      }
      const results = (await pipeline.exec()) ?? [];
      asked.forEach(({ entry, day, month, tokens }, index) => {
        const answers = results.slice(index * 4, index * 4 + 4);
        if (answers.length < 4 || answers.some(([error]) => error)) return;
        const value = (offset: number) => Number(answers[offset]![1] ?? 0);
        day.shared = Math.max(day.shared, value(0));
        month.shared = Math.max(month.shared, value(1));
        tokens.shared = Math.max(tokens.shared, value(2));
        if (entry.tokens === tokens) entry.previousTokens = Math.max(entry.previousTokens, value(3));
        if (entry.day === day && entry.month === month) entry.confirmed = true;
      });
      this.syncSucceeded();
    } catch (error) {
      this.syncFailed(error);
    }
  }

  private async pushKey(keyId: string, entry: KeyUsage): Promise<void> {
    const { day, month, tokens } = entry;
    const sent = { day: send(day), month: send(month), tokens: send(tokens) };
    const periods = { day: day.period, month: month.period, window: tokens.period };
    let totals: number[];
    try {
      totals = await this.addAndPublish(keyId, sent, periods, entry.limited);
    } catch (error) {
      unsend(day, sent.day);
      unsend(month, sent.month);
      unsend(tokens, sent.tokens);
      throw error;
    }
    // The counters the amounts left from, even if the period rolled meanwhile (a rolled one is dropped).
    settle(day, sent.day, totals[0]!);
    settle(month, sent.month, totals[1]!);
    settle(tokens, sent.tokens, totals[2]!);
    // The script returned every replica's totals of the current periods.
    if (entry.day === day && entry.month === month) entry.confirmed = true;
  }

  private async addAndPublish(
    keyId: string,
    sent: { day: number; month: number; tokens: number },
    periods: { day: string; month: string; window: string },
    limited: boolean,
  ): Promise<number[]> {
    return (await (
      this.redis.client as unknown as { switchboardAddSpend(...args: (string | number)[]): Promise<number[]> }
    ).switchboardAddSpend(
      `${SPEND_PREFIX}${keyId}:d:${periods.day}`,
      `${SPEND_PREFIX}${keyId}:m:${periods.month}`,
      `${TOKENS_PREFIX}${keyId}:${periods.window}`,
      sent.day,
      sent.month,
      sent.tokens,
      DAY_TTL_MS,
      MONTH_TTL_MS,
      2 * WINDOW_MS,
      SPEND_EVENTS_CHANNEL,
      keyId,
      periods.day,
      periods.month,
      periods.window,
      limited ? '1' : '0',
    )) as number[];
  }

  /**
   * Another replica's (or our own) totals of a limited key, heard through pub/sub: "<key>|<day>|
   * <total>|<month>|<total>|<window>|<total>". Heard for keys this replica has not served yet too,
   * so its first request of a key already knows what the others spent.
   */
  private hear(message: string): void {
    const [keyId, day, dayTotal, month, monthTotal, window, tokensTotal] = message.split('|');
    if (!keyId) return;
    const entry = this.current(keyId, Date.now());
    entry.limited = true;
    if (entry.day.period === day) entry.day.shared = Math.max(entry.day.shared, Number(dayTotal));
    if (entry.month.period === month) entry.month.shared = Math.max(entry.month.shared, Number(monthTotal));
    if (entry.tokens.period === window) entry.tokens.shared = Math.max(entry.tokens.shared, Number(tokensTotal));
    // Published totals are every replica's, after the addition.
    if (entry.day.period === day && entry.month.period === month) entry.confirmed = true;
  }

  /**
   * The key's counters for the periods `now` falls in, rolling older ones forward. What the ending
   * periods have unsent goes to their own Redis counters first (sent, not awaited), so no spend is
   * lost at midnight or at the end of a minute.
   */
  private current(keyId: string, now: number): KeyUsage {
    const { day, month } = spendPeriods(now);
    const window = String(windowOf(now));
    let entry = this.usage.get(keyId);
    if (!entry) {
      entry = {
        limited: false,
        confirmed: false,
        reading: false,
        day: counter(day),
        month: counter(month),
        tokens: counter(window),
        previousTokens: 0,
      };
      this.usage.set(keyId, entry);
      return entry;
    }
    const rolls = entry.day.period !== day || entry.month.period !== month || entry.tokens.period !== window;
    if (!rolls) return entry;
    const unsent = entry.day.unsent > 0 || entry.month.unsent > 0 || entry.tokens.unsent > 0;
    if (unsent && this.redis.available) void this.pushKey(keyId, entry).catch((error) => this.syncFailed(error));
    if (entry.day.period !== day || entry.month.period !== month) entry.confirmed = false;
    if (entry.day.period !== day) entry.day = counter(day);
    if (entry.month.period !== month) entry.month = counter(month);
    if (entry.tokens.period !== window) {
      const wasPrevious = Number(entry.tokens.period) === Number(window) - 1;
      entry.previousTokens = wasPrevious ? known(entry.tokens) : 0;
      entry.tokens = counter(window);
    }
    return entry;
  }

  private syncSucceeded(): void {
    if (this.lastSyncError) this.logger.log('Key budgets are shared through Redis again');
    this.lastSyncError = undefined;
  }

  private syncFailed(error: unknown): void {
    const message = describeError(error);
    if (!this.lastSyncError) this.logger.warn(`Key budgets are counted locally while Redis fails: ${message}`);
    this.lastSyncError = message;
  }
}

/** The answer for keys without spend or token limits: shared, so the common case allocates nothing. */
const UNLIMITED: BudgetDecision = Object.freeze({ headers: Object.freeze({}) as Record<string, string> });

function counter(period: string): Counter {
  return { period, shared: 0, unsent: 0, inFlight: 0 };
}

/** What this replica knows the key used in the period: everyone's total plus its own not yet in it. */
function known(counter: Counter): number {
  return counter.shared + counter.unsent + counter.inFlight;
}

/** Spend not yet in Redis's total: unsent, or on its way. */
function pending(counter: Counter): boolean {
  return counter.unsent !== 0 || counter.inFlight !== 0;
}

function hasLimits(identity: ClientIdentity): boolean {
  return identity.dailyBudgetUsd !== null || identity.monthlyBudgetUsd !== null || identity.tokensPerMinute !== null;
}

/** Moves the unsent amount onto the wire; returns it. */
function send(counter: Counter): number {
  const amount = counter.unsent;
  counter.unsent = 0;
  counter.inFlight += amount;
  return amount;
}

function unsend(counter: Counter, amount: number): void {
  counter.inFlight -= amount;
  counter.unsent += amount;
}

function settle(counter: Counter, sent: number, total: number): void {
  counter.inFlight -= sent;
  counter.shared = Math.max(counter.shared, Number(total));
}

function remaining(limitUsd: number, spentUsd: number): string {
  return Math.max(0, limitUsd - spentUsd).toFixed(6);
}

function refuse(
  decision: BudgetDecision,
  refusal: BudgetRefusal,
  what: string,
  resetsInSeconds: number,
): BudgetDecision {
  if (decision.refusal) return decision;
  return {
    headers: decision.headers,
    refusal,
    retryAfterSeconds: resetsInSeconds,
    message: `This key has used its ${what}; it resets in ${Math.ceil(resetsInSeconds / 3600)} h (UTC). Ask an operator to raise it (PATCH /admin/client-keys/:id)`,
  };
}
