-- CreateEnum
CREATE TYPE "Provider" AS ENUM ('openai', 'claude', 'zai', 'perplexity', 'openai_compatible');

-- CreateTable
CREATE TABLE "provider_instances" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "provider" "Provider" NOT NULL,
    "base_url" TEXT NOT NULL,
    "models" TEXT[],
    "region" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "weight" INTEGER NOT NULL DEFAULT 100,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "draining" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_instances_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "provider_instances_name_key" ON "provider_instances"("name");

-- CreateIndex
CREATE INDEX "provider_instances_provider_idx" ON "provider_instances"("provider");
