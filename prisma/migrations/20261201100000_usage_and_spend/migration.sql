-- Usage and spend: limits on client keys, price overrides, the request log and its hourly rollup.

-- AlterTable
ALTER TABLE "client_api_keys"
    ADD COLUMN "expires_at" TIMESTAMPTZ(3),
    ADD COLUMN "daily_budget_usd" DECIMAL(14,6),
    ADD COLUMN "monthly_budget_usd" DECIMAL(14,6),
    ADD COLUMN "tokens_per_minute" INTEGER,
    ADD COLUMN "allowed_models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "allowed_providers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "log_bodies" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "model_price_overrides" (
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "input_usd_per_mtok" DECIMAL(12,6) NOT NULL,
    "output_usd_per_mtok" DECIMAL(12,6) NOT NULL,
    "cached_input_usd_per_mtok" DECIMAL(12,6),
    "cache_write_usd_per_mtok" DECIMAL(12,6),
    "reasoning_usd_per_mtok" DECIMAL(12,6),
    "request_usd" DECIMAL(12,6),
    "note" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "model_price_overrides_pkey" PRIMARY KEY ("provider", "model")
);

-- The request log is partitioned by day (RANGE on "time"): retention drops whole days, which
-- costs the same whatever a day holds, where DELETE would write and then vacuum every row.
-- Daily partitions are created ahead by the instance-manager (libs/usage request-log-partitions);
-- the default partition catches a row whose day has none yet, and is emptied into the day's
-- partition when that partition is created.
CREATE TABLE "request_log" (
    "id" UUID NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "request_id" TEXT NOT NULL,
    "key_id" UUID NOT NULL,
    "format" TEXT NOT NULL,
    "route" TEXT,
    "stream" BOOLEAN NOT NULL,
    "requested_model" TEXT,
    "served_provider" TEXT,
    "served_model" TEXT,
    "instance_id" UUID,
    "instance_name" TEXT,
    "attempts" SMALLINT NOT NULL,
    "fallbacks" SMALLINT NOT NULL,
    "status" SMALLINT NOT NULL,
    "error_kind" TEXT,
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cached_tokens" INTEGER,
    "reasoning_tokens" INTEGER,
    "cost_usd" DECIMAL(18,9),
    "latency_ms" INTEGER NOT NULL,
    "ttft_ms" INTEGER,
    "user_agent" TEXT,
    "prompt" TEXT,
    "answer" TEXT,
    CONSTRAINT "request_log_pkey" PRIMARY KEY ("time", "id")
) PARTITION BY RANGE ("time");

CREATE TABLE "request_log_default" PARTITION OF "request_log" DEFAULT;

-- The admin API's list walks (time, id) backwards; per key it starts from this index.
CREATE INDEX "request_log_key_id_time_idx" ON "request_log" ("key_id", "time");
-- Failures are a small share of requests: listing them (status=4xx, 429, 5xx) reads only them.
CREATE INDEX "request_log_failures_time_idx" ON "request_log" ("time") WHERE "status" >= 400;

CREATE TABLE "usage_hourly" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "key_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "instance_name" TEXT NOT NULL,
    "requests" BIGINT NOT NULL,
    "errors" BIGINT NOT NULL,
    "input_tokens" BIGINT NOT NULL,
    "output_tokens" BIGINT NOT NULL,
    "cached_tokens" BIGINT NOT NULL,
    "reasoning_tokens" BIGINT NOT NULL,
    "cost_usd" DECIMAL(20,9) NOT NULL,
    "unpriced_requests" BIGINT NOT NULL,
    "latency_ms_sum" BIGINT NOT NULL,
    CONSTRAINT "usage_hourly_pkey" PRIMARY KEY ("hour", "key_id", "provider", "model", "instance_name")
);

-- One key's usage over a range (the admin API's keyId filter) without reading every key's hours.
CREATE INDEX "usage_hourly_key_id_hour_idx" ON "usage_hourly" ("key_id", "hour");

-- The same sums per UTC day: a month by day reads 30 rows per combination instead of 720.
CREATE TABLE "usage_daily" (
    "day" TIMESTAMPTZ(3) NOT NULL,
    "key_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "instance_name" TEXT NOT NULL,
    "requests" BIGINT NOT NULL,
    "errors" BIGINT NOT NULL,
    "input_tokens" BIGINT NOT NULL,
    "output_tokens" BIGINT NOT NULL,
    "cached_tokens" BIGINT NOT NULL,
    "reasoning_tokens" BIGINT NOT NULL,
    "cost_usd" DECIMAL(20,9) NOT NULL,
    "unpriced_requests" BIGINT NOT NULL,
    "latency_ms_sum" BIGINT NOT NULL,
    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("day", "key_id", "provider", "model", "instance_name")
);
CREATE INDEX "usage_daily_key_id_day_idx" ON "usage_daily" ("key_id", "day");
