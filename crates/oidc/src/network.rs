//! Which addresses the server may contact on an identity provider's behalf.
//!
//! Issuer URLs are typed by organization admins, and the discovery document they lead to
//! names further URLs (keys, token, userinfo). Unchecked, they would let an admin make the
//! server fetch its cloud metadata service or probe the operator's internal network.
//! A named list of cloud metadata addresses ([`METADATA_V4`], [`METADATA_V6`]), link-local,
//! unspecified, multicast and reserved addresses are never contacted, whatever the operator
//! allows; loopback and private ranges (on-premises IdPs, local trials) unless the operator
//! forbids them.
//! Host names are checked on every connection by [`GuardedResolver`], after resolution, so
//! DNS rebinding cannot slip past; IP literals are checked by [`IdpNetworks::check_url`].

use openidconnect::reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The operator's choice of networks an IdP may live on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdpNetworks {
    /// Public addresses, and also loopback and private ranges.
    #[default]
    PublicAndPrivate,
    /// Public addresses only: for hubs whose organization admins must not reach the
    /// operator's own network.
    PublicOnly,
}

/// What kind of address an IP is, as far as contacting an IdP goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressKind {
    Public,
    /// Loopback, RFC 1918, carrier-grade NAT, IPv6 unique-local.
    Private,
    /// Link-local, unspecified, multicast, broadcast and reserved ranges: never an IdP.
    Forbidden,
    /// A cloud metadata or platform service (instance credentials live there): never an
    /// IdP, whatever range it sits in.
    Metadata,
}

/// Cloud metadata and platform services, refused under every policy. Some sit in ranges a
/// hub may otherwise reach (carrier-grade NAT, IPv6 unique-local, public space), so a range
/// rule alone does not keep them out. Also refused when carried in IPv6 (`::ffff:a.b.c.d`,
/// NAT64, 6to4), like every IPv4 address.
pub(crate) const METADATA_V4: [(Ipv4Addr, &str); 7] = [
    (
        Ipv4Addr::new(169, 254, 169, 254),
        "AWS, GCP, Azure, Oracle Cloud, DigitalOcean, OpenStack instance metadata",
    ),
    (
        Ipv4Addr::new(169, 254, 170, 2),
        "AWS ECS task metadata and credentials",
    ),
    (
        Ipv4Addr::new(169, 254, 170, 23),
        "AWS EKS Pod Identity agent",
    ),
    (
        Ipv4Addr::new(100, 100, 100, 200),
        "Alibaba Cloud instance metadata",
    ),
    (
        Ipv4Addr::new(168, 63, 129, 16),
        "Azure WireServer (platform agent)",
    ),
    (
        Ipv4Addr::new(192, 0, 0, 192),
        "Oracle Cloud instance metadata (legacy)",
    ),
    (
        Ipv4Addr::new(169, 254, 0, 23),
        "Tencent Cloud instance metadata",
    ),
];

/// The IPv6 addresses of the same services.
pub(crate) const METADATA_V6: [(Ipv6Addr, &str); 4] = [
    (
        Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
        "AWS instance metadata over IPv6",
    ),
    (
        Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23),
        "AWS EKS Pod Identity agent over IPv6",
    ),
    (
        Ipv6Addr::new(0xfd20, 0xce, 0, 0, 0, 0, 0, 0x254),
        "GCP instance metadata over IPv6",
    ),
    (
        Ipv6Addr::new(0xfd00, 0xc1, 0, 0, 0, 0, 0xa9fe, 0xa9fe),
        "Oracle Cloud instance metadata over IPv6",
    ),
];

impl IdpNetworks {
    /// `Err(why)` when this policy forbids contacting `ip`.
    pub fn check(self, ip: IpAddr) -> Result<(), String> {
        match (address_kind(ip), self) {
            (AddressKind::Public, _) | (AddressKind::Private, IdpNetworks::PublicAndPrivate) => {
                Ok(())
            }
            (AddressKind::Private, IdpNetworks::PublicOnly) => Err(format!(
                "{ip} is a private or loopback address, and this server only contacts identity providers on public addresses"
            )),
            (AddressKind::Forbidden, _) => Err(format!(
                "{ip} is a link-local, multicast or reserved address, which is never an identity provider"
            )),
            (AddressKind::Metadata, _) => Err(format!(
                "{ip} is a cloud metadata service address, which is never an identity provider (metadata and link-local addresses are always refused)"
            )),
        }
    }

    /// Checks a URL whose host is an IP literal (host names are checked at connection time).
    pub fn check_url(self, url: &openidconnect::url::Url) -> Result<(), String> {
        use openidconnect::url::Host;
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check(IpAddr::V6(ip)),
            Some(Host::Domain(_)) | None => Ok(()),
        }
    }
}

pub(crate) fn address_kind(ip: IpAddr) -> AddressKind {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

fn v4_kind(ip: Ipv4Addr) -> AddressKind {
    if METADATA_V4.iter().any(|(m, _)| *m == ip) {
        return AddressKind::Metadata;
    }
    let [a, b, ..] = ip.octets();
    let forbidden = a == 0 // "this network", 0.0.0.0 included
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240; // reserved, and the broadcast address
    let private = ip.is_loopback()
        || ip.is_private()
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, RFC 6598
        || (a == 198 && (b == 18 || b == 19)); // benchmarking, RFC 2544
    if forbidden {
        AddressKind::Forbidden
    } else if private {
        AddressKind::Private
    } else {
        AddressKind::Public
    }
}

fn v6_kind(ip: Ipv6Addr) -> AddressKind {
    // Addresses that carry an IPv4 address are judged by it.
    if let Some(v4) = embedded_v4(ip) {
        return v4_kind(v4);
    }
    if METADATA_V6.iter().any(|(m, _)| *m == ip) {
        return AddressKind::Metadata;
    }
    let first = ip.segments()[0];
    if ip.is_unspecified() || ip.is_multicast() || (first & 0xffc0) == 0xfe80 {
        AddressKind::Forbidden
    } else if ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        // unique-local fc00::/7, deprecated site-local fec0::/10
        AddressKind::Private
    } else {
        AddressKind::Public
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_loopback() && !ip.is_unspecified() => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// This server's refusal of a host name's addresses: the one connection failure an admin
/// is told about in words (see `discovery::network_failure`).
#[derive(Debug)]
pub(crate) struct AddressRefused(String);

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddressRefused {}

/// Resolves host names with the system resolver, then keeps only the addresses the policy
/// allows; a name left with none fails with the reason, which the admin sees.
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) networks: IdpNetworks,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let networks = self.networks;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match networks.check(addr.ip()) {
                    Ok(()) => true,
                    Err(why) => {
                        refused.get_or_insert(why);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let why = refused.unwrap_or_else(|| "it has no address".to_owned());
                return Err(Box::new(AddressRefused(format!("{host} cannot be used: {why}"))) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> AddressKind {
        address_kind(ip.parse().unwrap())
    }

    #[test]
    fn addresses_are_classified_by_range() {
        use AddressKind::*;
        for (ip, expected) in [
            ("93.184.216.34", Public),
            ("2606:4700::1111", Public),
            ("127.0.0.1", Private),
            ("127.8.9.10", Private),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("172.32.0.1", Public),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private),
            ("100.128.0.1", Public),
            ("::1", Private),
            ("fc00::1", Private),
            ("169.254.0.1", Forbidden),
            ("fe80::1", Forbidden),
            ("0.0.0.0", Forbidden),
            ("0.1.2.3", Forbidden),
            ("::", Forbidden),
            ("224.0.0.1", Forbidden),
            ("ff02::1", Forbidden),
            ("255.255.255.255", Forbidden),
            ("240.0.0.1", Forbidden),
            // IPv4 hidden in IPv6 is judged as the IPv4 address it carries.
            ("::ffff:127.0.0.1", Private),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:93.184.216.34", Public),
            ("::169.254.1.1", Forbidden),
            ("64:ff9b::a9fe:0101", Forbidden),
            ("2002:a9fe:0101::1", Forbidden),
            ("::ffff:100.64.0.1", Private),
            ("2002:0a00:0001::1", Private),
        ] {
            assert_eq!(kind(ip), expected, "{ip}");
        }
    }

    /// Every cloud metadata address, and the same address carried in IPv6.
    const METADATA_ADDRESSES: [&str; 21] = [
        "169.254.169.254",        // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack
        "fd00:ec2::254",          // AWS over IPv6
        "169.254.170.2",          // AWS ECS task credentials
        "169.254.170.23",         // AWS EKS Pod Identity
        "fd00:ec2::23",           // AWS EKS Pod Identity over IPv6
        "100.100.100.200",        // Alibaba Cloud
        "fd20:ce::254",           // GCP over IPv6
        "168.63.129.16",          // Azure WireServer
        "192.0.0.192",            // Oracle Cloud (legacy)
        "fd00:c1::a9fe:a9fe",     // Oracle Cloud over IPv6
        "169.254.0.23",           // Tencent Cloud
        "::ffff:169.254.169.254", // IPv4-mapped
        "::ffff:100.100.100.200", // IPv4-mapped
        "::ffff:168.63.129.16",   // IPv4-mapped
        "::ffff:169.254.170.2",   // IPv4-mapped
        "::ffff:192.0.0.192",     // IPv4-mapped
        "::100.100.100.200",      // IPv4-compatible
        "64:ff9b::6464:64c8",     // NAT64 of 100.100.100.200
        "64:ff9b::a83f:8110",     // NAT64 of 168.63.129.16
        "2002:6464:64c8::1",      // 6to4 of 100.100.100.200
        "::ffff:6464:64c8",       // IPv4-mapped, written in hex
    ];

    #[test]
    fn cloud_metadata_addresses_are_named_and_classified_as_such() {
        for ip in METADATA_ADDRESSES {
            assert_eq!(kind(ip), AddressKind::Metadata, "{ip}");
        }
        // Neighbours of the named addresses keep their range's kind.
        for (ip, expected) in [
            ("100.100.100.201", AddressKind::Private),
            ("168.63.129.17", AddressKind::Public),
            ("fd00:ec2::255", AddressKind::Private),
            ("169.254.169.253", AddressKind::Forbidden),
        ] {
            assert_eq!(kind(ip), expected, "{ip}");
        }
    }

    #[test]
    fn cloud_metadata_addresses_are_refused_under_every_policy() {
        for networks in [IdpNetworks::default(), IdpNetworks::PublicOnly] {
            for ip in METADATA_ADDRESSES {
                let why = networks.check(ip.parse().unwrap()).unwrap_err();
                assert!(why.contains("cloud metadata"), "{networks:?} {ip}: {why}");
            }
        }
        assert_eq!(IdpNetworks::default(), IdpNetworks::PublicAndPrivate);
    }

    #[test]
    fn urls_naming_a_metadata_address_are_refused_under_the_default_policy() {
        for url in [
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://100.100.100.200/latest/meta-data/",
            "http://[::ffff:100.100.100.200]/",
            "http://168.63.129.16/machine?comp=goalstate",
        ] {
            let url = openidconnect::url::Url::parse(url).unwrap();
            assert!(IdpNetworks::default().check_url(&url).is_err(), "{url}");
        }
    }

    #[test]
    fn the_policy_allows_private_ranges_only_when_told() {
        let private: IpAddr = "10.0.0.5".parse().unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let metadata: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(IdpNetworks::PublicAndPrivate.check(private).is_ok());
        assert!(IdpNetworks::PublicAndPrivate.check(public).is_ok());
        assert!(IdpNetworks::PublicOnly.check(public).is_ok());
        let why = IdpNetworks::PublicOnly.check(private).unwrap_err();
        assert!(why.contains("10.0.0.5") && why.contains("public"), "{why}");
        let link_local: IpAddr = "169.254.1.1".parse().unwrap();
        for networks in [IdpNetworks::PublicAndPrivate, IdpNetworks::PublicOnly] {
            let why = networks.check(metadata).unwrap_err();
            assert!(why.contains("link-local"), "{why}");
            let why = networks.check(link_local).unwrap_err();
            assert!(why.contains("link-local"), "{why}");
        }
    }

    #[test]
    fn urls_with_ip_literals_are_checked_and_names_left_to_the_resolver() {
        let url = |u: &str| openidconnect::url::Url::parse(u).unwrap();
        let only_public = IdpNetworks::PublicOnly;
        assert!(only_public
            .check_url(&url("https://169.254.169.254/latest/meta-data"))
            .is_err());
        assert!(only_public.check_url(&url("http://[::1]:8080/")).is_err());
        assert!(only_public.check_url(&url("https://10.0.0.1/")).is_err());
        assert!(only_public
            .check_url(&url("https://login.example/"))
            .is_ok());
        assert!(IdpNetworks::PublicAndPrivate
            .check_url(&url("http://127.0.0.1:9400/"))
            .is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_only_to_forbidden_addresses() {
        let resolve =
            |networks| GuardedResolver { networks }.resolve("localhost".parse::<Name>().unwrap());
        let err = match resolve(IdpNetworks::PublicOnly).await {
            Ok(_) => panic!("localhost resolved under PublicOnly"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with("localhost cannot be used:"), "{err}");
        let addrs: Vec<SocketAddr> = resolve(IdpNetworks::PublicAndPrivate)
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
