export { JsonLogger, type LogSink } from './json-logger.js';
export { METRIC_PREFIX, MetricsService } from './metrics.service.js';
export { requestContext, requestIdFrom, type RequestContext } from './request-context.js';
