import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The monitoring dashboard as the API returns it. These classes are both the TypeScript shape and
 * the OpenAPI response schema, so the documentation cannot drift from what is served.
 */

export class ConsulCheckView {
  @ApiProperty({ example: 'service:instance-manager-1a2b:ready' }) id!: string;
  @ApiProperty({ enum: ['passing', 'warning', 'critical'] }) status!: string;
  @ApiProperty({ description: 'What the check last said (a probe result, an HTTP status)' }) output!: string;
}

export class ServiceReplicaView {
  @ApiProperty({ description: 'Consul service ID of the replica' }) id!: string;
  @ApiProperty({ example: '127.0.0.1:8001' }) address!: string;
  @ApiProperty({ enum: ['passing', 'warning', 'critical'], description: 'Worst of its Consul checks' })
  status!: string;
  @ApiProperty({ type: [ConsulCheckView] }) checks!: ConsulCheckView[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'Consul service meta' })
  meta!: Record<string, string>;
  @ApiPropertyOptional({ description: 'Resident memory of the process (bytes), from its last report in Redis' })
  rssBytes?: number;
  @ApiPropertyOptional({ description: 'Event-loop delay p99 (ms) over its last report interval' })
  eventLoopDelayMs?: number;
  @ApiPropertyOptional({ description: 'ISO time of its last process report' }) reportedAt?: string;
}

export class CoreServiceView {
  @ApiProperty({ example: 'api-gateway' }) name!: string;
  @ApiProperty({ description: 'Replicas whose checks all pass' }) passing!: number;
  @ApiProperty({ type: [ServiceReplicaView] }) replicas!: ServiceReplicaView[];
}

/** Traffic over the rolling window, summed over every gateway replica that reported. */
export class TrafficView {
  @ApiProperty({ description: 'Upstream attempts in the window' }) requests!: number;
  @ApiProperty({ description: 'Attempts per second over the window' }) requestRate!: number;
  @ApiProperty({ description: 'Failed attempts (any failure that is not the client’s own mistake)' }) errors!: number;
  @ApiProperty({ description: 'errors / requests, 0 when there were none' }) errorRate!: number;
  @ApiPropertyOptional({ description: 'Attempt latency median (ms), absent without requests' }) p50Ms?: number;
  @ApiPropertyOptional({ description: 'Attempt latency 95th percentile (ms)' }) p95Ms?: number;
  @ApiPropertyOptional({ description: 'Streaming time to first token median (ms)' }) ttftP50Ms?: number;
  @ApiPropertyOptional({ description: 'Streaming time to first token 95th percentile (ms)' }) ttftP95Ms?: number;
  @ApiProperty({ description: 'Further attempts after a failure of this instance (or, in totals, of any)' })
  retries!: number;
}

export class InstanceHealthView {
  @ApiProperty({ enum: ['passing', 'warning', 'critical', 'unknown'] }) status!: string;
  @ApiPropertyOptional({ description: 'Probe-based health score in [0, 1]' }) score?: number;
  @ApiPropertyOptional({ description: 'ISO time of the last probe' }) lastProbeAt?: string;
  @ApiPropertyOptional({ description: 'The Consul check output: what the last probe found' }) output?: string;
  @ApiPropertyOptional() latencyEwmaMs?: number;
  @ApiPropertyOptional() consecutiveFailures?: number;
}

export class CircuitView {
  @ApiProperty({ enum: ['closed', 'half_open', 'open'], description: 'Worst state any gateway replica reports' })
  state!: string;
  @ApiPropertyOptional({ description: 'ISO time the worst replica entered that state' }) since?: string;
  @ApiProperty({ description: 'Gateway replicas reporting a circuit that is not closed' }) replicas!: string[];
  @ApiPropertyOptional({ description: 'The failure that last counted against the circuit' }) lastError?: string;
}

export class InstanceMonitorView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() provider!: string;
  @ApiProperty({ type: [String] }) models!: string[];
  @ApiPropertyOptional() region?: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() draining!: boolean;
  @ApiProperty() weight!: number;
  @ApiProperty() priority!: number;
  @ApiProperty({ description: 'Consul service ID' }) serviceId!: string;
  @ApiProperty({ type: InstanceHealthView }) health!: InstanceHealthView;
  @ApiProperty({ type: CircuitView }) circuit!: CircuitView;
  @ApiProperty({ description: 'Attempts in flight now, over every gateway replica' }) inFlight!: number;
  @ApiProperty({ type: TrafficView }) traffic!: TrafficView;
}

export class ProviderMonitorView {
  @ApiProperty({ example: 'openai' }) provider!: string;
  @ApiProperty({ description: 'Enabled instances' }) instances!: number;
  @ApiProperty({ description: 'Enabled instances whose check passes' }) healthy!: number;
  @ApiProperty({ type: TrafficView }) traffic!: TrafficView;
}

export class FallbackView {
  @ApiProperty() fromProvider!: string;
  @ApiProperty() toProvider!: string;
  @ApiProperty({ description: 'Fallbacks in the window' }) count!: number;
}

export class RoutingPolicyInForce {
  @ApiProperty({
    enum: ['consul', 'default', 'invalid'],
    description:
      'consul: a valid policy is stored in KV; default: KV holds none, the built-in default is in force; invalid: KV holds a refused document and the gateways keep their last good policy',
  })
  source!: string;
  @ApiProperty({ description: 'The Consul KV key' }) key!: string;
  @ApiProperty({ type: [String], description: 'Why the stored document is refused (source invalid)' })
  problems!: string[];
  @ApiPropertyOptional({ description: 'Consul ModifyIndex of the document' }) version?: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) policy!: Record<string, unknown>;
}

export class ActiveAlertView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'ProviderInstanceCritical' }) alertname!: string;
  @ApiProperty({ enum: ['critical', 'warning', 'info'] }) severity!: string;
  @ApiProperty({ enum: ['pending', 'firing'] }) state!: string;
  @ApiProperty() summary!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels!: Record<string, string>;
  @ApiProperty({ description: 'ISO time the condition was first seen' }) startsAt!: string;
  @ApiPropertyOptional({ description: 'ISO time it started firing' }) firedAt?: string;
}

export class ConsulClusterView {
  @ApiProperty({ description: 'Whether the local Consul agent answered' }) reachable!: boolean;
  @ApiPropertyOptional({ description: 'Raft leader address, absent when there is none' }) leader?: string;
  @ApiProperty({ type: [String], description: 'Raft peers' }) servers!: string[];
  @ApiPropertyOptional({ description: 'Autopilot health (absent where the token may not read operator data)' })
  healthy?: boolean;
  @ApiPropertyOptional({ description: 'Autopilot failure tolerance' }) failureTolerance?: number;
  @ApiPropertyOptional({ description: 'Why a part could not be read' }) error?: string;
}

/**
 * The sources the dashboard is assembled from, as `sources.unavailable` names them
 * (`<source>: <why>`). "consul kv" is the routing policy; "alerts" the active alerts.
 */
export type DashboardSource = 'postgres' | 'consul' | 'consul kv' | 'redis' | 'alerts';

export class DashboardSourcesView {
  @ApiProperty({ description: 'Sources that could not be read; the parts from them are missing or stale' })
  unavailable!: string[];
  @ApiProperty({ description: 'Gateway replicas whose traffic reports are in the window' })
  gatewayReplicas!: number;
}

export class MonitoringDashboard {
  @ApiProperty({ description: 'ISO time this view was assembled' }) generatedAt!: string;
  @ApiProperty({ description: 'Length of the rolling traffic window in seconds' }) windowSeconds!: number;
  @ApiProperty({ type: [CoreServiceView] }) services!: CoreServiceView[];
  @ApiProperty({ type: [ProviderMonitorView] }) providers!: ProviderMonitorView[];
  @ApiProperty({ type: [InstanceMonitorView] }) instances!: InstanceMonitorView[];
  @ApiProperty({ type: TrafficView, description: 'All attempts in the window' }) traffic!: TrafficView;
  @ApiProperty({ type: [FallbackView] }) fallbacks!: FallbackView[];
  @ApiProperty({ type: RoutingPolicyInForce }) routingPolicy!: RoutingPolicyInForce;
  @ApiProperty({ type: [ActiveAlertView] }) alerts!: ActiveAlertView[];
  @ApiProperty({ type: ConsulClusterView }) consul!: ConsulClusterView;
  @ApiProperty({ type: DashboardSourcesView }) sources!: DashboardSourcesView;
}

export class TrafficPointView {
  @ApiProperty({ description: 'ISO start of the slot' }) at!: string;
  @ApiProperty() requests!: number;
  @ApiProperty() errors!: number;
  @ApiPropertyOptional() p50Ms?: number;
  @ApiPropertyOptional() p95Ms?: number;
  @ApiPropertyOptional() ttftP50Ms?: number;
}

/** One instance's traffic per slot over the window: what the console draws its small charts from. */
export class InstanceSeriesView {
  @ApiProperty() instanceId!: string;
  @ApiProperty({ description: 'Slot length in seconds' }) slotSeconds!: number;
  @ApiProperty({ type: [TrafficPointView] }) points!: TrafficPointView[];
}
