//! Azure's instance metadata service (IMDS): where this VM is (cloud, region) and what it is.
//!
//! One `GET /metadata/instance?api-version=2021-02-01` with `Metadata: true` to
//! 169.254.169.254:80, never through a proxy, spoken as HTTP/1.0 over a plain TCP stream so the
//! answer comes unchunked (a chunked body is decoded anyway).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::catalog::model::Cloud;

/// Where IMDS answers, on every Azure VM.
pub const IMDS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)), 80);

/// The request path.
const PATH: &str = "/metadata/instance?api-version=2021-02-01";

/// Largest answer read; IMDS's instance document is a few kilobytes.
const MAX_BODY: u64 = 1 << 20;

/// What IMDS says of this VM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AzureContext {
    /// The VM's name (`compute.name`).
    pub name: String,
    /// Its region as IMDS spells it (`compute.location`, e.g. `westeurope`).
    pub location: String,
    /// Its cloud (`compute.azEnvironment`, e.g. `AzurePublicCloud`).
    pub az_environment: String,
    /// The VM's id (`compute.vmId`).
    pub vm_id: String,
    /// Its ARM resource id.
    pub resource_id: String,
    /// Its subscription.
    pub subscription_id: String,
    /// Its resource group.
    pub resource_group_name: String,
    /// Private IPv4 addresses of its interfaces.
    pub private_ips: Vec<String>,
    /// The subnets of its interfaces, as `address/prefix`.
    pub subnets: Vec<String>,
}

impl AzureContext {
    /// The cloud, from `azEnvironment`.
    pub fn cloud(&self) -> Option<Cloud> {
        match self.az_environment.to_ascii_lowercase().as_str() {
            "azurepubliccloud" => Some(Cloud::Public),
            "azureusgovernmentcloud" => Some(Cloud::Usgov),
            "azurechinacloud" => Some(Cloud::China),
            _ => None,
        }
    }

    /// The region, from `location`, lowercased.
    pub fn region(&self) -> Option<String> {
        let region = self.location.trim().to_ascii_lowercase();
        (!region.is_empty()).then_some(region)
    }

    /// Reads IMDS's instance document.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let doc: Instance = serde_json::from_slice(body).map_err(|e| format!("bad JSON: {e}"))?;
        let c = doc.compute;
        let mut ctx = AzureContext {
            name: c.name,
            location: c.location,
            az_environment: c.az_environment,
            vm_id: c.vm_id,
            resource_id: c.resource_id,
            subscription_id: c.subscription_id,
            resource_group_name: c.resource_group_name,
            ..AzureContext::default()
        };
        for nic in doc.network.interface {
            ctx.private_ips.extend(
                nic.ipv4
                    .ip_address
                    .into_iter()
                    .map(|a| a.private_ip_address)
                    .filter(|a| !a.is_empty()),
            );
            ctx.subnets.extend(
                nic.ipv4
                    .subnet
                    .into_iter()
                    .filter(|s| !s.address.is_empty())
                    .map(|s| format!("{}/{}", s.address, s.prefix)),
            );
        }
        Ok(ctx)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Instance {
    compute: Compute,
    network: Network,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Compute {
    name: String,
    location: String,
    az_environment: String,
    vm_id: String,
    resource_id: String,
    subscription_id: String,
    resource_group_name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Network {
    interface: Vec<Interface>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Interface {
    ipv4: Ipv4,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Ipv4 {
    ip_address: Vec<IpAddress>,
    subnet: Vec<Subnet>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct IpAddress {
    private_ip_address: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Subnet {
    address: String,
    prefix: String,
}

/// Asks IMDS; the error is one short line (timeout, refused, no route, HTTP status, bad JSON).
pub async fn fetch(timeout: Duration) -> Result<AzureContext, String> {
    fetch_from(IMDS_ADDR, timeout).await
}

/// Asks an IMDS at `addr` (tests use a loopback one).
pub async fn fetch_from(addr: SocketAddr, timeout: Duration) -> Result<AzureContext, String> {
    let body = tokio::time::timeout(timeout, get(addr))
        .await
        .map_err(|_| format!("no answer from {addr} within {timeout:?}"))??;
    AzureContext::from_json(&body)
}

async fn get(addr: SocketAddr) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let request = format!(
        "GET {PATH} HTTP/1.0\r\nHost: {}\r\nMetadata: true\r\nUser-Agent: apim-probe\r\nConnection: close\r\n\r\n",
        addr.ip()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send to {addr}: {e}"))?;
    let mut raw = Vec::new();
    (&mut stream)
        .take(MAX_BODY)
        .read_to_end(&mut raw)
        .await
        .map_err(|e| format!("reading from {addr}: {e}"))?;
    parse_response(&raw)
}

/// Splits an HTTP response: status 200 or an error naming the status; the body, de-chunked.
fn parse_response(raw: &[u8]) -> Result<Vec<u8>, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("not an HTTP response (no end of headers)")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let body = &raw[end + 4..];
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (proto, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !proto.starts_with("HTTP/") {
        return Err(format!("not an HTTP response: {status_line:.60}"));
    }
    if code != "200" {
        return Err(format!(
            "HTTP {}",
            status_line.split_once(' ').map_or("", |x| x.1)
        ));
    }
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    });
    if chunked {
        dechunk(body)
    } else {
        Ok(body.to_vec())
    }
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || "bad chunked body".to_owned();
    let mut out = Vec::new();
    loop {
        let eol = body.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_text = String::from_utf8_lossy(&body[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
        body = &body[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or_else(bad)?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).ok_or_else(bad)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"compute":{"name":"vm1","location":"WestEurope","azEnvironment":"AzurePublicCloud",
        "vmId":"abc","resourceId":"/subscriptions/s/resourceGroups/rg/providers/x/vm1",
        "subscriptionId":"s","resourceGroupName":"rg"},
        "network":{"interface":[{"ipv4":{"ipAddress":[{"privateIpAddress":"10.0.1.4","publicIpAddress":""}],
        "subnet":[{"address":"10.0.1.0","prefix":"24"}]}}]}}"#;

    #[test]
    fn reads_the_instance_document() {
        let ctx = AzureContext::from_json(DOC.as_bytes()).unwrap();
        assert_eq!(ctx.name, "vm1");
        assert_eq!(ctx.region().as_deref(), Some("westeurope"));
        assert_eq!(ctx.cloud(), Some(Cloud::Public));
        assert_eq!(ctx.private_ips, ["10.0.1.4"]);
        assert_eq!(ctx.subnets, ["10.0.1.0/24"]);
        assert_eq!(ctx.resource_group_name, "rg");
        let json = serde_json::to_string(&ctx).unwrap();
        assert_eq!(serde_json::from_str::<AzureContext>(&json).unwrap(), ctx);
    }

    #[test]
    fn clouds() {
        let ctx = |e: &str| AzureContext {
            az_environment: e.into(),
            ..AzureContext::default()
        };
        assert_eq!(ctx("AzureUSGovernmentCloud").cloud(), Some(Cloud::Usgov));
        assert_eq!(ctx("AzureChinaCloud").cloud(), Some(Cloud::China));
        assert_eq!(ctx("AzureStackCloud").cloud(), None);
        assert_eq!(AzureContext::default().region(), None);
    }

    #[test]
    fn responses() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}";
        assert_eq!(parse_response(ok).unwrap(), b"{}");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), b"{\"a\":1}");
        let err = parse_response(b"HTTP/1.1 400 Bad Request\r\n\r\n{}").unwrap_err();
        assert_eq!(err, "HTTP 400 Bad Request");
        assert!(parse_response(b"garbage").is_err());
        assert!(
            AzureContext::from_json(b"<html>")
                .unwrap_err()
                .starts_with("bad JSON")
        );
    }

    #[tokio::test]
    async fn fetches_from_a_loopback_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = conn.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).into_owned();
            let reply = format!(
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{DOC}",
                DOC.len()
            );
            conn.write_all(reply.as_bytes()).await.unwrap();
            req
        });
        let ctx = fetch_from(addr, Duration::from_secs(5)).await.unwrap();
        assert_eq!(ctx.location, "WestEurope");
        let req = server.await.unwrap();
        assert!(req.starts_with("GET /metadata/instance?api-version=2021-02-01 HTTP/1.0\r\n"));
        assert!(req.contains("\r\nMetadata: true\r\n"), "{req}");
    }

    #[tokio::test]
    async fn silence_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let err = fetch_from(addr, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(err.contains("no answer"), "{err}");
        drop(listener);
    }
}
