import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { bootstrapApp } from '@switchboard/platform';
import { serveConsole } from './console/console-assets.js';
import { InstanceManagerModule } from './instance-manager.module.js';

await bootstrapApp({
  name: 'instance-manager',
  defaultPort: 8001,
  uses: { database: true, redis: true, admin: true, credentials: true },
  consul: { registration: { tags: ['admin'] } },
  module: (platform) => InstanceManagerModule.register(platform),
  configure: async (app) => {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Switchboard instance-manager')
        .setDescription('Admin API over provider instances and client keys. Send Authorization: Bearer <ADMIN_TOKEN>.')
        .setVersion('0.1.0')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('docs', app, document);
    await serveConsole(app);
  },
});
