import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { ApiConfig } from './api.config';

/**
 * App-level settings the module cannot apply itself: CORS and the OpenAPI document + UI at /docs
 * (JSON at /docs-json). Call after `NestFactory.create` and before `listen` / `init`.
 */
export function configureApiApp(app: NestFastifyApplication, config: ApiConfig): void {
  if (config.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: config.CORS_ORIGINS.includes('*') ? true : config.CORS_ORIGINS,
      methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Content-Type', 'X-API-Key', 'Last-Event-ID'],
      maxAge: 600,
    });
  }
  if (config.DOCS_ENABLED) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Insiders API')
        .setDescription(
          'Customer segments and the Insiders loyalty segment: customers, segments, Insiders, model versions, live segment changes (SSE, webhooks), Grafana datasource.',
        )
        .setVersion('1')
        .addApiKey({ type: 'apiKey', name: 'X-API-Key', in: 'header' }, 'api-key')
        .build(),
    );
    SwaggerModule.setup('docs', app, document);
  }
}
