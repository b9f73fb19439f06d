import { BlockList, isIP } from 'node:net';

/**
 * Where an outbound call to a configured upstream (a provider instance's baseUrl) may go. An admin
 * sets that URL, and the prober and the gateway then send requests (with provider keys) there, so
 * addresses that reach the host itself or the cloud's metadata service must never be called.
 * Pure: the admin API checks URLs with it, the provider client checks what DNS answered.
 */
export interface DestinationPolicy {
  /** Loopback and private ranges: allowed by default, self-hosted model servers live there. */
  allowPrivate: boolean;
}

/** What an IP address reaches, from the most to the least dangerous. */
export type AddressClass = 'metadata' | 'link_local' | 'unspecified' | 'loopback' | 'private' | 'public';

/** Why a destination is refused, in words for an operator: what it is and what to do instead. */
export interface DestinationRefusal {
  /** e.g. 'a link-local/metadata address (169.254.169.254)' */
  target: string;
  remedy: string;
}

/** The setting that lets loopback and private destinations through, named in its refusals. */
export const ALLOW_PRIVATE_SETTING = 'INSTANCE_URL_ALLOW_PRIVATE';

/** Metadata services that answer on an ordinary address rather than in 169.254.0.0/16. */
const METADATA_ADDRESSES = new BlockList();
METADATA_ADDRESSES.addAddress('169.254.169.254', 'ipv4'); // AWS, GCP, Azure, OCI, DigitalOcean, ...
METADATA_ADDRESSES.addAddress('169.254.170.2', 'ipv4'); // AWS ECS task credentials
METADATA_ADDRESSES.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud
METADATA_ADDRESSES.addAddress('168.63.129.16', 'ipv4'); // Azure WireServer
METADATA_ADDRESSES.addAddress('fd00:ec2::254', 'ipv6'); // AWS IMDS over IPv6

const LINK_LOCAL = subnets([
  ['169.254.0.0', 16, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
]);
const UNSPECIFIED = subnets([
  ['0.0.0.0', 8, 'ipv4'],
  ['::', 128, 'ipv6'],
]);
const LOOPBACK = subnets([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = subnets([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT: not on the internet either
  ['fc00::', 7, 'ipv6'],
  ['fec0::', 10, 'ipv6'], // deprecated site-local, still routed by some networks
]);

/**
 * Host names of metadata services (lower case, no trailing dot). They resolve to a refused address
 * on their own cloud anyway; naming them refuses them at the admin API too, before any lookup.
 */
const METADATA_HOST_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.internal',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.packet.net',
  'metadata.platformequinix.com',
]);

const ALWAYS_REFUSED: Record<Exclude<AddressClass, 'loopback' | 'private' | 'public'>, string> = {
  metadata: 'a cloud metadata address',
  link_local: 'a link-local/metadata address',
  unspecified: 'an unspecified address (0.0.0.0/8 or ::)',
};

const REFUSED_UNLESS_PRIVATE_ALLOWED: Record<'loopback' | 'private', string> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
};

const NOT_AN_UPSTREAM = "give the provider's own endpoint (a public host name, or a private server's address)";
const ALLOW_PRIVATE_REMEDY = `give a public endpoint, or set ${ALLOW_PRIVATE_SETTING}=true to allow private and loopback servers`;

/** What an IP address (any spelling Node accepts, zone allowed) reaches; undefined when it is not an IP. */
export function classifyAddress(address: string): AddressClass | undefined {
  const plain = address.replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 0) return undefined;
  if (family === 6) {
    const embedded = embeddedIPv4(ipv6Groups(plain));
    if (embedded) return classifyIn(embedded, 'ipv4');
  }
  return classifyIn(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why calling this resolved address is refused; undefined when it may be called. */
export function addressRefusal(address: string, policy: DestinationPolicy): DestinationRefusal | undefined {
  const addressClass = classifyAddress(address);
  if (addressClass === undefined || addressClass === 'public') return undefined;
  if (addressClass === 'loopback' || addressClass === 'private') {
    if (policy.allowPrivate) return undefined;
    return { target: `${REFUSED_UNLESS_PRIVATE_ALLOWED[addressClass]} (${address})`, remedy: ALLOW_PRIVATE_REMEDY };
  }
  return { target: `${ALWAYS_REFUSED[addressClass]} (${address})`, remedy: NOT_AN_UPSTREAM };
}

/**
 * Why a URL's host (an IP literal, bracketed or not, or a name) is refused before any lookup.
 * A name that is not a known metadata name passes here: its addresses are checked once resolved.
 */
export function hostRefusal(hostname: string, policy: DestinationPolicy): DestinationRefusal | undefined {
  const host = normalisedHost(hostname);
  if (METADATA_HOST_NAMES.has(host)) return { target: `a cloud metadata host (${host})`, remedy: NOT_AN_UPSTREAM };
  return addressRefusal(host, policy);
}

/** Why an upstream base URL is refused (scheme, credentials in it, or where its host points); undefined when fine. */
export function urlRefusal(url: string, policy: DestinationPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL such as https://api.openai.com/v1';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return 'must be an http(s) URL such as https://api.openai.com/v1';
  if (parsed.username || parsed.password)
    return 'must not carry user:password@ (it would be sent along and shown in clear): put the key in apiKey or apiKeyEnv';
  const refusal = hostRefusal(parsed.hostname, policy);
  return refusal && `points at ${refusal.target}, which is refused: ${refusal.remedy}`;
}

/** Lower case, without IPv6 brackets or the trailing dot of a fully qualified name. */
function normalisedHost(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return unbracketed.toLowerCase().replace(/\.+$/, '');
}

function classifyIn(address: string, family: 'ipv4' | 'ipv6'): AddressClass {
  if (METADATA_ADDRESSES.check(address, family)) return 'metadata';
  if (LINK_LOCAL.check(address, family)) return 'link_local';
  if (UNSPECIFIED.check(address, family)) return 'unspecified';
  if (LOOPBACK.check(address, family)) return 'loopback';
  if (PRIVATE.check(address, family)) return 'private';
  return 'public';
}

function subnets(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

/** The eight 16-bit groups of a valid IPv6 address (with '::' and a dotted IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  const side = (text: string) =>
    text === ''
      ? []
      : text.split(':').flatMap((part) => {
          if (!part.includes('.')) return [Number.parseInt(part, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  if (tail === undefined) return side(head);
  const left = side(head);
  const right = side(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 address an IPv6 one carries and that the network would deliver to: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and the deprecated
 * IPv4-compatible form (::a.b.c.d). Without this, ::ffff:a9fe:a9fe would pass as "an IPv6 address".
 */
function embeddedIPv4(groups: number[]): string | undefined {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const mapped = zeros(0, 5) && groups[5] === 0xffff;
  const translated = zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6);
  // '::' and '::1' are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
  const compatible = zeros(0, 6) && (groups[6] !== 0 || (groups[7] ?? 0) > 1);
  if (!mapped && !translated && !nat64 && !compatible) return undefined;
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
