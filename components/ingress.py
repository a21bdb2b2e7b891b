"""Istio ingress: the control plane and two gateways behind NLBs, TLS at the gateways.

Creates the Helm releases `base`, `istiod` (highly available, on the system nodes) and two
`gateway` releases: the public one (namespace `istio-ingress`, internet-facing NLB filtered by the
IP allow list; absent when the public endpoint is off) and the private one (namespace
`istio-ingress-private`, internal NLB). In each gateway namespace a cert-manager `Certificate` for
`*.<zone>` and, once there are services, an Istio `Gateway` terminating TLS for ClickHouse HTTPS
(8443) and native TLS (9440). A service with the MySQL interface gets a port of its own on both
gateways and NLBs, passed through as TCP: MySQL clients start in plaintext and upgrade to TLS inside
the protocol (no SNI to route by), so ClickHouse terminates that TLS itself with the service's own
certificate (components/clickhouse.py). Each Gateway names its own hosts only (`<service>.<zone>`
on the public one, `<service>-private.<zone>` on the private one): no two gateways claim the same
name. The NLBs come from the AWS Load Balancer Controller (EKS
layer); the private one's frontend security group is the network layer's. external-dns publishes
the public VirtualServices' hostnames (label `DNS_SCOPE_LABEL`); the private names are the private
endpoint layer's records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import awaits, helm, versions
from components import k8s_conventions as conv
from components.naming import Names
from components.pod_requests import GATEWAY, ISTIOD
from components.readiness import ClusterReadiness

TYPE = "clickhouse-byoc:ingress:IstioIngress"

ISTIO_NAMESPACE = conv.ISTIO_NAMESPACE
PUBLIC_NAMESPACE = conv.PUBLIC_GATEWAY_NAMESPACE
PRIVATE_NAMESPACE = conv.PRIVATE_GATEWAY_NAMESPACE
GATEWAY_NAME = "clickhouse"
TLS_SECRET = "clickhouse-wildcard-tls"

# Ports clients use at the gateways, and the ClickHouse ports behind them (plain inside the mesh edge;
# MySQL is the exception: ClickHouse's own TLS inside the protocol, end to end).
HTTPS_PORT = 8443
NATIVE_TLS_PORT = 9440
STATUS_PORT = 15021
# The ports Istio's proxy uses in a gateway pod ("Ports used by Istio", Istio 1.30 application
# requirements; tests/upstream/istio/SOURCES.md): a Gateway server on one of them would clash.
ISTIO_PROXY_PORTS = (15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090)
CLICKHOUSE_HTTP_PORT = 8123
CLICKHOUSE_NATIVE_PORT = 9000
CLICKHOUSE_MYSQL_PORT = 9004

# A policy rule keys on this annotation: an unfiltered public load balancer must have been asked for.
ALLOW_ANY_SOURCE_ANNOTATION = "clickhouse-byoc/allow-any-source"

LB = "service.beta.kubernetes.io/aws-load-balancer"
# On every VirtualService: which gateway (and so which DNS zone) its hostname belongs to. The
# public external-dns only watches `public`.
DNS_SCOPE_LABEL = "clickhouse-byoc/dns-scope"


@dataclass(frozen=True)
class GatewayKind:
    """What differs between the public and the private gateway."""

    key: str
    """`public` or `private`: the load balancer name suffix."""
    namespace: str
    """Namespace of the gateway release, its certificate and its Gateway object."""
    release: str
    """Helm release name (also the gateway's Deployment and Service name)."""
    scheme: str
    """NLB scheme: `internet-facing` or `internal`."""

    @property
    def selector(self) -> dict[str, str]:
        """The pod label the gateway chart sets (`istio: <release without istio->`)."""
        return {"istio": self.release.removeprefix("istio-")}

    @property
    def gateway_ref(self) -> str:
        """`<namespace>/<name>` of the Istio Gateway, as VirtualServices reference it."""
        return f"{self.namespace}/{GATEWAY_NAME}"


PUBLIC = GatewayKind("public", PUBLIC_NAMESPACE, "istio-ingress", "internet-facing")
PRIVATE = GatewayKind("private", PRIVATE_NAMESPACE, "istio-ingress-private", "internal")


def public_host(service: str, zone: str) -> str:
    return f"{service}.{zone}"


def private_host(service: str, zone: str) -> str:
    """The source's naming: `-private` appended to the first label."""
    return f"{service}-private.{zone}"


def _spread(labels: dict[str, str], when: str = "ScheduleAnyway") -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": conv.ZONE_TOPOLOGY_KEY,
            "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": dict(labels)},
        }
    ]


def _prefer_other_hosts(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": dict(labels)},
                    },
                }
            ]
        }
    }


def base_values() -> dict[str, Any]:
    """Values of the `base` chart (CRDs, cluster roles)."""
    return {"defaultRevision": "default", "global": {"istioNamespace": ISTIO_NAMESPACE}}


def istiod_values() -> dict[str, Any]:
    """Values of the `istiod` chart: 2-5 replicas across zones on the system nodes, with a PDB."""
    placement = conv.system_placement()
    labels = {"app": "istiod"}
    return {
        "autoscaleEnabled": True,
        "autoscaleMin": 2,
        "autoscaleMax": ISTIOD.replicas,
        "replicaCount": 2,
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "topologySpreadConstraints": _spread(labels),
        "affinity": _prefer_other_hosts(labels),
        "resources": ISTIOD.containers[0].resources(),
        "pdb": {"minAvailable": 1},
        "global": {
            "istioNamespace": ISTIO_NAMESPACE,
            "defaultPodDisruptionBudget": {"enabled": True},
        },
        "meshConfig": {"accessLogFile": "/dev/stdout", "accessLogEncoding": "JSON"},
    }


MysqlPorts = Sequence[tuple[str, int]]
"""(service, gateway port) of each service with the MySQL interface."""


def mysql_port_name(service: str) -> str:
    """The name of a service's MySQL port on the gateway Service and Gateway (a DNS label: at most 40
    characters for a 30-character service name)."""
    return f"tcp-mysql-{service}"


def gateway_ports(mysql_ports: MysqlPorts) -> list[dict[str, Any]]:
    """The gateway Service's ports, each a listener of its NLB: health (for the NLB), HTTPS, native TLS,
    and one port per service with the MySQL interface."""
    ports = [
        {"name": "status-port", "port": STATUS_PORT, "protocol": "TCP", "targetPort": STATUS_PORT},
        {"name": "https", "port": HTTPS_PORT, "protocol": "TCP", "targetPort": HTTPS_PORT},
        {"name": "tls-native", "port": NATIVE_TLS_PORT, "protocol": "TCP", "targetPort": NATIVE_TLS_PORT},
    ]
    for service, port in mysql_ports:
        ports.append({"name": mysql_port_name(service), "port": port, "protocol": "TCP", "targetPort": port})
    return ports


def private_endpoint_ports(mysql_ports: MysqlPorts) -> tuple[int, ...]:
    """The client ports of the gateway Service (its ports without the status port): what the private
    endpoint's security group opens to each internal range (components.network)."""
    return tuple(p["port"] for p in gateway_ports(mysql_ports) if p["port"] != STATUS_PORT)


# The AWS Load Balancer Controller's Service annotations (v2.14.0 `pkg/annotations/constants.go`,
# prefix `service.beta.kubernetes.io/`) that decide what goes into the security group it manages.
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


def _annotation_list(value: str | None) -> list[str]:
    """ParseStringSliceAnnotation: comma-separated, each item trimmed, empty items dropped."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def controller_security_group_rules(service: Mapping[str, Any]) -> list[tuple[str, str, int | str, str]]:
    """The inbound rules the AWS Load Balancer Controller writes into the frontend security group it
    creates for a LoadBalancer Service, as (family, protocol, port, source): v2.14.0
    `pkg/service/model_build_load_balancer.go` (`buildLoadBalancerSecurityGroups`) and
    `pkg/service/model_build_managed_sg.go` (`buildManagedSecurityGroupIngressPermissions`).

    None when the Service names its own groups (`-security-groups`) or has no group
    (`-disable-nlb-sg: true`). Otherwise, for every Service port: one rule per source range
    (`loadBalancerSourceRanges`, else the `load-balancer-source-ranges` annotation, else 0.0.0.0/0
    and, on a dualstack NLB, ::/0; none when prefix lists are given instead), an ICMP path-MTU rule
    per range when `-enable-icmp-for-path-mtu-discovery` is `on`, and one rule per prefix list of
    `-security-group-prefix-lists`. Health checks are not here: they reach the targets through the
    backend group, whose rules the controller puts on the cluster's node security group.

    `service` is the gateway chart's `service` values (`annotations`, `loadBalancerSourceRanges`,
    `ports`), which the chart renders into the Service unchanged (tests/test_security_group_quota.py).
    """
    annotations = service.get("annotations") or {}

    def annotation(suffix: str) -> str | None:
        return annotations.get(f"{LB}-{suffix}")

    if (annotation("disable-nlb-sg") or "").lower() in ("1", "t", "true") or _annotation_list(
        annotation("security-groups")
    ):
        return []
    prefix_lists = _annotation_list(annotation("security-group-prefix-lists"))
    prefix_lists_given = annotation("security-group-prefix-lists") is not None
    icmp = annotation("enable-icmp-for-path-mtu-discovery") == "on"
    cidrs = list(service.get("loadBalancerSourceRanges") or []) or _annotation_list(
        annotations.get(SOURCE_RANGES_ANNOTATION)
    )
    if not cidrs and not prefix_lists_given:
        cidrs = ["0.0.0.0/0"] + (["::/0"] if annotation("ip-address-type") == "dualstack" else [])
    rules: list[tuple[str, str, int | str, str]] = []
    for port in service.get("ports") or []:
        protocol = str(port.get("protocol", "TCP")).lower()
        for cidr in cidrs:
            family = "ipv6" if ":" in cidr else "ipv4"
            rules.append((family, protocol, port["port"], cidr))
            if icmp:
                rules.append((family, "icmpv6" if family == "ipv6" else "icmp", "path-mtu", cidr))
        rules += [("prefix-list", protocol, port["port"], pl) for pl in prefix_lists]
    return rules


def public_gateway_rules(
    names: Names, ranges: Sequence[str], allow_any_source: bool, mysql_ports: MysqlPorts
) -> list[tuple[str, str, int | str, str]]:
    """The inbound rules of the public NLB's security group, from the public gateway's Service."""
    return controller_security_group_rules(
        gateway_values(PUBLIC, names, ranges, allow_any_source, mysql_ports)["service"]
    )


def gateway_values(
    kind: GatewayKind,
    names: Names,
    source_ranges: Sequence[str],
    allow_any_source: bool = False,
    mysql_ports: MysqlPorts = (),
    security_group: str | None = None,
    private_link: bool = False,
) -> dict[str, Any]:
    """Values of one `gateway` release: an NLB through the AWS Load Balancer Controller.

    `security_group` (private gateway): the frontend security group the network layer owns, in place
    of one the controller would generate from the source ranges; the controller still opens the
    gateway pods to it. `private_link`: PrivateLink traffic is admitted by the endpoint service's
    principals and acceptance, not by the security group (whose rules name our ranges).

    `source_ranges` become `loadBalancerSourceRanges` (the controller turns them into the NLB's
    security group rules). An empty list on the public gateway is only valid when the user opted
    out of filtering (`allow_any_source`), and the Service then says so in an annotation.
    """
    if kind is PUBLIC and not source_ranges and not allow_any_source:
        raise ValueError("the public gateway needs source ranges unless allow_any_source is set")
    placement = conv.system_placement()
    annotations = {
        f"{LB}-type": "external",
        f"{LB}-nlb-target-type": "ip",
        f"{LB}-scheme": kind.scheme,
        f"{LB}-name": names.load_balancer(kind.key),
        f"{LB}-attributes": "load_balancing.cross_zone.enabled=true",
        f"{LB}-ip-address-type": "ipv4",
        f"{LB}-healthcheck-port": str(STATUS_PORT),
        f"{LB}-healthcheck-protocol": "http",
        f"{LB}-healthcheck-path": "/healthz/ready",
    }
    if kind is PUBLIC and allow_any_source and not source_ranges:
        annotations[ALLOW_ANY_SOURCE_ANNOTATION] = "true"
    if security_group is not None:
        annotations[f"{LB}-security-groups"] = security_group
        annotations[f"{LB}-manage-backend-security-group-rules"] = "true"
    if private_link:
        annotations[f"{LB}-inbound-sg-rules-on-private-link-traffic"] = "off"
    return {
        "name": kind.release,
        "autoscaling": {
            "enabled": True,
            "minReplicas": 3,
            "maxReplicas": GATEWAY.replicas,
            "targetCPUUtilizationPercentage": 70,
        },
        "podDisruptionBudget": {"maxUnavailable": 1},
        "nodeSelector": placement["nodeSelector"],
        "tolerations": placement["tolerations"],
        "topologySpreadConstraints": _spread(kind.selector),
        "affinity": _prefer_other_hosts(kind.selector),
        "resources": GATEWAY.containers[0].resources(),
        "service": {
            "type": "LoadBalancer",
            "annotations": annotations,
            "loadBalancerSourceRanges": list(source_ranges),
            "ports": gateway_ports(mysql_ports),
        },
    }


def certificate_spec(zone: str, issuer: str = conv.ISSUER_PRODUCTION) -> dict[str, Any]:
    """A cert-manager Certificate for `*.<zone>` (DNS01 through the ClusterIssuer), in a gateway namespace."""
    return {
        "secretName": TLS_SECRET,
        "dnsNames": [f"*.{zone}"],
        "issuerRef": {"name": issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        "duration": "2160h",
        "renewBefore": "720h",
    }


def mysql_certificate_spec(
    service: str, zone: str, public: bool, secret_name: str, issuer: str = conv.ISSUER_PRODUCTION
) -> dict[str, Any]:
    """The certificate ClickHouse itself serves on a service's MySQL port: exactly the names clients
    connect to (`<service>.<zone>` with a public gateway, `<service>-private.<zone>`), nothing else,
    so a server's key is good for its own service only. RSA 2048 rather than the gateways' ECDSA:
    the chain every MySQL client and JDBC runtime trusts (ISRG Root X1), BI tools' older TLS stacks
    included."""
    hosts = ([public_host(service, zone)] if public else []) + [private_host(service, zone)]
    return {
        "secretName": secret_name,
        "dnsNames": hosts,
        "issuerRef": {"name": issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        "privateKey": {"algorithm": "RSA", "size": 2048, "rotationPolicy": "Always"},
        "duration": "2160h",
        "renewBefore": "720h",
    }


def _tls() -> dict[str, Any]:
    return {"mode": "SIMPLE", "credentialName": TLS_SECRET, "minProtocolVersion": "TLSV1_2"}


def gateway_spec(kind: GatewayKind, zone: str, services: Sequence[str], mysql_ports: MysqlPorts) -> dict[str, Any]:
    """An Istio Gateway terminating TLS with the zone's wildcard certificate, for this gateway's own
    hostnames only (never `*.<zone>`: the other gateway's names are not this one's to claim).

    HTTPS is routed by the Host header, so one server lists every service's host. Native TLS is TCP
    after termination: routing needs the SNI, so each service gets its own server (one filter chain
    per hostname); a shared wildcard server would send every service's traffic to whichever
    VirtualService came first. MySQL has no SNI to route by: each service's port is its own `TCP`
    server, no TLS at the gateway (ClickHouse terminates it inside the protocol).
    """
    host = public_host if kind is PUBLIC else private_host
    servers: list[dict[str, Any]] = [
        {
            "port": {"number": HTTPS_PORT, "name": "https", "protocol": "HTTPS"},
            "hosts": [host(service, zone) for service in services],
            "tls": _tls(),
        }
    ]
    for service in services:
        servers.append(
            {
                "port": {"number": NATIVE_TLS_PORT, "name": f"tls-native-{service}", "protocol": "TLS"},
                "hosts": [host(service, zone)],
                "tls": _tls(),
            }
        )
    for service, port in mysql_ports:
        servers.append(
            {
                "port": {"number": port, "name": mysql_port_name(service), "protocol": "TCP"},
                "hosts": [host(service, zone)],
            }
        )
    return {"selector": kind.selector, "servers": servers}


def virtual_service_spec(host: str, gateway_ref: str, backend: str, mysql_port: int | None) -> dict[str, Any]:
    """Routes one hostname on one gateway to a ClickHouse service's in-cluster ports; with `mysql_port`,
    that gateway port's TCP stream goes unchanged to ClickHouse's MySQL port."""

    def to(port: int) -> list[dict[str, Any]]:
        return [{"destination": {"host": backend, "port": {"number": port}}}]

    tcp = [{"match": [{"port": NATIVE_TLS_PORT}], "route": to(CLICKHOUSE_NATIVE_PORT)}]
    if mysql_port is not None:
        tcp.append({"match": [{"port": mysql_port}], "route": to(CLICKHOUSE_MYSQL_PORT)})
    return {
        "hosts": [host],
        "gateways": [gateway_ref],
        "http": [{"match": [{"port": HTTPS_PORT}], "route": to(CLICKHOUSE_HTTP_PORT)}],
        "tcp": tcp,
    }


@dataclass(frozen=True)
class IstioIngressArgs:
    """Inputs of the ingress layer."""

    names: Names
    """Naming for the deployment (load balancer names)."""
    zone_name: str
    """The DNS zone services are published in."""
    public_gateway: bool
    """Create the public gateway (enabled, and filtered by the allow list or explicitly opted out)."""
    ip_allow_list: tuple[str, ...]
    """CIDRs allowed to reach the public NLB."""
    allow_any_source: bool
    """The user's explicit opt-out of filtering the public NLB."""
    private_source_ranges: tuple[str, ...]
    """CIDRs allowed to reach the private NLB: the VPC, its pod range and peered VPCs."""
    services: tuple[str, ...]
    """Names of the services (native TLS needs a server per hostname)."""
    mysql_ports: tuple[tuple[str, int], ...] = ()
    """(service, gateway port) of the services exposing the MySQL protocol."""
    private_security_group: pulumi.Input[str] | None = None
    """The private NLB's frontend security group (network layer); None: the controller makes one."""
    private_link: bool = False
    """A PrivateLink endpoint service fronts the private NLB."""
    ready: ClusterReadiness = field(default_factory=ClusterReadiness)
    """What the objects here wait for, each only for what it needs: istiod for the system nodes, the
    gateways for the AWS Load Balancer Controller, the certificates for cert-manager and its issuers."""


class IstioIngress(pulumi.ComponentResource):
    """Istio control plane, the public and private gateways, their certificates and Gateways."""

    public_gateway_ref: str | None
    private_gateway_ref: str
    releases: dict[str, k8s.helm.v3.Release]

    def __init__(self, name: str, args: IstioIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        ready = args.ready
        # Namespaces and `base` (CRDs, cluster roles) need only the cluster, through the provider.
        child = pulumi.ResourceOptions(parent=self)
        mysql = args.mysql_ports
        kinds = [PUBLIC, PRIVATE] if args.public_gateway else [PRIVATE]

        namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{name}-ns-{ns}",
                metadata={"name": ns, "labels": dict(conv.PART_OF_LABELS)},
                opts=child,
            )
            for ns in [ISTIO_NAMESPACE, *(k.namespace for k in kinds)]
        }

        def release(
            suffix: str, pin: versions.ChartPin, release_name: str, ns: str, values: Any, needs: list
        ) -> k8s.helm.v3.Release:
            return helm.release(
                f"{name}-{suffix}",
                pin,
                name=release_name,
                namespace=ns,
                values=values,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespaces[ns], *needs]),
                create_namespace=False,
            )

        base = release("base", versions.ISTIO_BASE_CHART, "istio-base", ISTIO_NAMESPACE, base_values(), [])
        istiod = release(
            "istiod", versions.ISTIOD_CHART, "istiod", ISTIO_NAMESPACE, istiod_values(), [base, *ready.system_nodes]
        )
        self.namespaces = namespaces
        self.releases = {"base": base, "istiod": istiod}

        for kind in kinds:
            ranges = args.ip_allow_list if kind is PUBLIC else args.private_source_ranges
            # Its LoadBalancer Service gets an NLB from the controller, and Helm waits for the address.
            if kind is PRIVATE and args.private_security_group is not None:
                values = pulumi.Output.from_input(args.private_security_group).apply(
                    lambda sg, ranges=ranges: gateway_values(
                        PRIVATE, args.names, ranges, False, mysql, security_group=sg, private_link=args.private_link
                    )
                )
            else:
                values = gateway_values(
                    kind,
                    args.names,
                    ranges,
                    args.allow_any_source and kind is PUBLIC,
                    mysql,
                    private_link=args.private_link and kind is PRIVATE,
                )
            gw_release = release(
                f"gateway-{kind.key}",
                versions.ISTIO_GATEWAY_CHART,
                kind.release,
                kind.namespace,
                values,
                [istiod, *ready.load_balancing],
            )
            self.releases[f"gateway-{kind.key}"] = gw_release
            cert = k8s.apiextensions.CustomResource(
                f"{name}-cert-{kind.key}",
                api_version="cert-manager.io/v1",
                kind="Certificate",
                # `pulumi up` waits until the certificate is issued: the Gateway needs its Secret.
                metadata={
                    "name": "clickhouse-wildcard",
                    "namespace": kind.namespace,
                    "annotations": awaits.certificate_annotations(),
                },
                spec=certificate_spec(args.zone_name),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespaces[kind.namespace], *ready.certificates]),
            )
            if not args.services:
                continue
            k8s.apiextensions.CustomResource(
                f"{name}-gateway-{kind.key}",
                api_version="networking.istio.io/v1",
                kind="Gateway",
                metadata={"name": GATEWAY_NAME, "namespace": kind.namespace},
                spec=gateway_spec(kind, args.zone_name, args.services, args.mysql_ports),
                # The Gateway CRD comes with `base`; the credential with the certificate.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[base, cert, gw_release]),
            )

        self.public_gateway_ref = PUBLIC.gateway_ref if args.public_gateway else None
        self.private_gateway_ref = PRIVATE.gateway_ref
        self.register_outputs(
            {
                "public_gateway": self.public_gateway_ref or "",
                "private_gateway": self.private_gateway_ref,
                "releases": {k: r.status for k, r in self.releases.items()},
            }
        )
