"""Every IAM document the program grants, as pure functions returning plain dicts.

Pulumi resources (`components/iam.py`), the tests (parliament, request evaluation, upstream parity),
the review export (`tools/iam_export.py`) and the CloudFormation template
(`tools/bootstrap_template.py`) all build their documents here, so what a reviewer reads is exactly
what is deployed. Arguments are plain strings: callers holding Outputs use `Output.apply`.

One module per family: `common` (statements, tags, AWS managed policies), `trust` (who may assume a
role), `workloads` (the IRSA roles of add-ons and services), `bootstrap` (the vendor's bootstrap role in
the scoped profile), `vendor_profile` (its `clickhouse-cloud` profile), `boundary` (the boundary of
the roles it creates), `vendor` (data-plane-mgmt, troubleshooting) and `audit` (the roles
EventBridge assumes for the alerts). `common` also holds `BootstrapAccess`, which both profiles read,
so the imports run one way: `bootstrap` dispatches to `vendor_profile`, `boundary` reads the bootstrap
scope, and `common` imports no family.
Every statement carries a `Sid` saying what it is for.
"""

from components.iam_policies.bootstrap import BootstrapScope, bootstrap_policies, bootstrap_policy_names
from components.iam_policies.boundary import boundary_policy
from components.iam_policies.common import (
    BYOC_REQUEST_TAG,
    BYOC_RESOURCE_TAG,
    ECR_READ_ONLY_POLICY,
    EKS_CLUSTER_POLICY,
    EKS_WORKER_POLICY,
    LBC_TAG,
    PURPOSE_TAG,
    VERSION,
    BootstrapAccess,
    Doc,
    Mode,
    Profile,
    document,
    statement,
)
from components.iam_policies.trust import irsa_trust, service_trust, vendor_trust
from components.iam_policies.vendor import data_plane_mgmt_policy, troubleshooting_policy
from components.iam_policies.workloads import (
    billing_scraper_policy,
    cert_manager_policy,
    clickhouse_server_policy,
    cluster_autoscaler_policy,
    ebs_csi_policy,
    external_dns_policy,
    load_balancer_controller_policy,
    state_exporter_policy,
    thanos_policy,
    vpc_cni_policy,
)

__all__ = [
    "BYOC_REQUEST_TAG",
    "BYOC_RESOURCE_TAG",
    "ECR_READ_ONLY_POLICY",
    "EKS_CLUSTER_POLICY",
    "EKS_WORKER_POLICY",
    "LBC_TAG",
    "PURPOSE_TAG",
    "VERSION",
    "BootstrapAccess",
    "BootstrapScope",
    "Doc",
    "Mode",
    "Profile",
    "billing_scraper_policy",
    "bootstrap_policies",
    "bootstrap_policy_names",
    "boundary_policy",
    "cert_manager_policy",
    "clickhouse_server_policy",
    "cluster_autoscaler_policy",
    "data_plane_mgmt_policy",
    "document",
    "ebs_csi_policy",
    "external_dns_policy",
    "irsa_trust",
    "load_balancer_controller_policy",
    "service_trust",
    "state_exporter_policy",
    "statement",
    "thanos_policy",
    "troubleshooting_policy",
    "vendor_trust",
    "vpc_cni_policy",
]
