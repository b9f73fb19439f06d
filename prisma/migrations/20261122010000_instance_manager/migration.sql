-- AlterTable
ALTER TABLE "provider_instances" ADD COLUMN     "api_key_ciphertext" TEXT,
ADD COLUMN     "api_key_env" TEXT,
ADD COLUMN     "api_key_last4" TEXT,
ADD COLUMN     "extra_headers" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "first_token_timeout_ms" INTEGER NOT NULL DEFAULT 30000,
ADD COLUMN     "idle_timeout_ms" INTEGER NOT NULL DEFAULT 30000,
ADD COLUMN     "max_concurrency" INTEGER,
ADD COLUMN     "rate_limit_rpm" INTEGER,
ADD COLUMN     "request_timeout_ms" INTEGER NOT NULL DEFAULT 120000;

-- CreateTable
CREATE TABLE "client_api_keys" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "rate_limit_rpm" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "client_api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "client_api_keys_key_hash_key" ON "client_api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "audit_log_target_type_target_id_idx" ON "audit_log"("target_type", "target_id");

-- CreateIndex
CREATE INDEX "audit_log_created_at_idx" ON "audit_log"("created_at");
