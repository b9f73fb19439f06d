-- The provider list lives in code (libs/providers/src/registry.ts) and the admin API validates
-- names against it, so adding a provider needs no migration. The column keeps its values.

-- AlterTable
ALTER TABLE "provider_instances" ALTER COLUMN "provider" SET DATA TYPE TEXT USING "provider"::TEXT;

-- DropEnum
DROP TYPE "Provider";
