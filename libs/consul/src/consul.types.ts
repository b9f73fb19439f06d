/** Shapes of the Consul HTTP API that Switchboard uses (field names as Consul spells them). */

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface AgentCheckDefinition {
  CheckID?: string;
  Name: string;
  Notes?: string;
  HTTP?: string;
  Method?: string;
  Interval?: string;
  Timeout?: string;
  TTL?: string;
  Status?: CheckStatus;
  DeregisterCriticalServiceAfter?: string;
  TLSSkipVerify?: boolean;
}

export interface ServiceRegistration {
  ID: string;
  Name: string;
  Address?: string;
  Port?: number;
  Tags?: string[];
  Meta?: Record<string, string>;
  EnableTagOverride?: boolean;
  Check?: AgentCheckDefinition;
  Checks?: AgentCheckDefinition[];
  /** Consul Connect: a sidecar proxy registered with the service (and removed with it). */
  Connect?: {
    SidecarService?: {
      Port?: number;
      Proxy?: { Upstreams?: { DestinationName: string; LocalBindAddress?: string; LocalBindPort: number }[] };
    };
  };
}

export interface AgentService {
  ID: string;
  Service: string;
  Address: string;
  Port: number;
  Tags: string[] | null;
  Meta: Record<string, string> | null;
}

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
}

export interface ServiceHealthEntry {
  Node: { Node: string; Address: string; Datacenter?: string };
  Service: AgentService;
  Checks: HealthCheck[];
}

export interface KvEntry {
  Key: string;
  /** Decoded from Consul's base64; null for a key without a value. */
  Value: string | null;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

export interface SessionOptions {
  Name?: string;
  TTL?: string;
  LockDelay?: string;
  Behavior?: 'release' | 'delete';
  /** Health checks tied to the session; [] detaches it from the node's serfHealth. */
  NodeChecks?: string[];
  ServiceChecks?: { ID: string; Namespace?: string }[];
}

/** A response of an endpoint that supports blocking queries. */
export interface IndexedResult<T> {
  body: T;
  /** X-Consul-Index: the raft index the body is current as of. */
  index: number;
  knownLeader: boolean;
}

/** GET /v1/operator/autopilot/health, the parts Switchboard reads. */
export interface AutopilotHealth {
  Healthy: boolean;
  FailureTolerance: number;
  Servers: { ID: string; Name: string; Address: string; Healthy: boolean; Leader: boolean; Voter: boolean }[];
}
