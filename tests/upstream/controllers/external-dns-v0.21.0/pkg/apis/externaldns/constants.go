/*
Copyright 2026 The Kubernetes Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package externaldns

const (
	RegistryTXT      = "txt"
	RegistryNoop     = "noop"
	RegistryDynamoDB = "dynamodb"
	RegistryAWSSD    = "aws-sd"

	ProviderAkamai       = "akamai"
	ProviderAlibabaCloud = "alibabacloud"
	ProviderAWS          = "aws"
	ProviderAWSSD        = "aws-sd"
	ProviderAzure        = "azure"
	ProviderAzureDNS     = "azure-dns"
	ProviderAzurePrivate = "azure-private-dns"
	ProviderCivo         = "civo"
	ProviderCloudflare   = "cloudflare"
	ProviderCoreDNS      = "coredns"
	ProviderSkyDNS       = "skydns"
	ProviderDNSimple     = "dnsimple"
	ProviderExoscale     = "exoscale"
	ProviderGandi        = "gandi"
	ProviderGoDaddy      = "godaddy"
	ProviderGoogle       = "google"
	ProviderInMemory     = "inmemory"
	ProviderLinode       = "linode"
	ProviderNS1          = "ns1"
	ProviderOCI          = "oci"
	ProviderOVH          = "ovh"
	ProviderPDNS         = "pdns"
	ProviderPihole       = "pihole"
	ProviderPlural       = "plural"
	ProviderRFC2136      = "rfc2136"
	ProviderScaleway     = "scaleway"
	ProviderTransip      = "transip"
	ProviderWebhook      = "webhook"
)
