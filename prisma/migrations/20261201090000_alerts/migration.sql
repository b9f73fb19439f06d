-- Alerts of the instance-manager's rules, the webhooks they are sent to, and the last notification
-- of each alert to each webhook (written before sending, so a new leader does not repeat it).

-- CreateTable
CREATE TABLE "alerts" (
    "id" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "alertname" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "summary" TEXT NOT NULL,
    "description" TEXT,
    "value" DOUBLE PRECISION,
    "state" TEXT NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "fired_at" TIMESTAMPTZ(3),
    "ends_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_webhooks" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "url_ciphertext" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "last_delivery_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "alert_webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "alert_deliveries" (
    "alert_id" UUID NOT NULL,
    "webhook_id" UUID NOT NULL,
    "notified_state" TEXT NOT NULL,
    "notified_at" TIMESTAMPTZ(3) NOT NULL,
    "outcome" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "alert_deliveries_pkey" PRIMARY KEY ("alert_id","webhook_id")
);

-- CreateIndex
CREATE INDEX "alerts_state_ends_at_idx" ON "alerts"("state", "ends_at");

-- CreateIndex
CREATE INDEX "alerts_fingerprint_idx" ON "alerts"("fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "alert_webhooks_name_key" ON "alert_webhooks"("name");

-- CreateIndex
CREATE INDEX "alert_deliveries_webhook_id_idx" ON "alert_deliveries"("webhook_id");

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "alert_webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
