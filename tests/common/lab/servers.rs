//! Real servers for the protocol checks: nginx with TLS (certificates from the lab PKI) and an
//! Azure Firewall deny page, and samba's smbd for SMB on 445.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use super::daemons::Listen;
use super::netns::{Lab, Service};
use super::pki::Leaf;

/// Azure Firewall's body when no application rule allows a request.
pub const FIREWALL_DENY_BODY: &str = "Action: Deny. Reason: No rule matched to proceed.";

/// What an nginx of the lab serves, on every address of `azure`.
#[derive(Clone, Debug, Default)]
pub struct Web {
    /// TLS ports, presenting `leaf` (or an override for an address).
    pub tls_ports: Vec<u16>,
    /// Plain HTTP ports, answering 200.
    pub http_ports: Vec<u16>,
    /// The certificate of the TLS ports.
    pub leaf: Option<Leaf>,
    /// Addresses whose TLS ports present another certificate (e.g. an interceptor's).
    pub overrides: Vec<(IpAddr, Leaf)>,
    /// Host names whose HTTP requests get Azure Firewall's 470 deny.
    pub deny: Vec<String>,
    /// Host names whose HTTP requests get another answer: what a proxy or firewall (or a plain
    /// error) would send.
    pub pages: Vec<Page>,
    /// Override addresses whose TLS ports ask for a client certificate: `ssl_verify_client`
    /// `on` or `optional` (mutual TLS).
    pub verify_client: Vec<(IpAddr, &'static str)>,
}

/// How an `openssl s_server` of the lab asks for a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `-verify 1`: asks, and goes on without one.
    Request,
    /// `-Verify 1`: asks, and ends the handshake without one.
    Require,
}

/// A fixed HTTP answer for one host name: status, extra headers, body.
#[derive(Clone, Debug, Default)]
pub struct Page {
    /// The host name (`server_name`).
    pub host: String,
    /// The status code.
    pub status: u16,
    /// Headers added to the answer (`Via`, `X-Squid-Error`, `Proxy-Authenticate` …).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

/// An nginx `server` block answering `page` on the plain HTTP listens.
fn page_block(listens: &str, page: &Page) -> String {
    let mut headers = String::new();
    for (k, v) in &page.headers {
        let _ = write!(
            headers,
            "add_header {k} \"{}\" always; ",
            v.replace('"', "\\\"")
        );
    }
    format!(
        "  server {{\n{listens}    server_name {};\n    \
         location / {{ {headers}return {} \"{}\"; }}\n  }}\n",
        page.host,
        page.status,
        page.body.replace('"', "\\\"")
    )
}

fn listen_addr(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

fn tls_block(listens: &[String], leaf: &Leaf, verify_client: Option<&str>) -> String {
    let mut s = String::from("  server {\n");
    for l in listens {
        let _ = writeln!(s, "    listen {l} ssl;");
    }
    if let Some(mode) = verify_client {
        // nginx needs a CA file to name in its CertificateRequest; the leaf's own will do.
        let _ = write!(
            s,
            "    ssl_verify_client {mode};\n    ssl_client_certificate {};\n",
            leaf.cert_pem.display()
        );
    }
    let _ = write!(
        s,
        "    ssl_certificate {};\n    ssl_certificate_key {};\n    \
         location / {{ return 200 \"apim-probe lab tls\\n\"; }}\n  }}\n",
        leaf.cert_pem.display(),
        leaf.key_pem.display()
    );
    s
}

impl Lab {
    /// Starts nginx serving `web`; returns once every port listens.
    pub fn start_nginx(&mut self, web: &Web) {
        let n = self.daemons.len();
        let dir = self.dir().join(format!("nginx-{n}"));
        std::fs::create_dir_all(&dir).expect("nginx folder");
        let d = dir.display();
        let mut servers = String::new();
        if !web.tls_ports.is_empty() {
            let leaf = web.leaf.as_ref().expect("TLS ports need a leaf");
            let listens: Vec<String> = web
                .tls_ports
                .iter()
                .flat_map(|p| [format!("{p}"), format!("[::]:{p}")])
                .collect();
            servers.push_str(&tls_block(&listens, leaf, None));
            for (ip, leaf) in &web.overrides {
                let listens: Vec<String> =
                    web.tls_ports.iter().map(|p| listen_addr(*ip, *p)).collect();
                let verify = web
                    .verify_client
                    .iter()
                    .find(|(a, _)| a == ip)
                    .map(|(_, m)| *m);
                servers.push_str(&tls_block(&listens, leaf, verify));
            }
        }
        if !web.http_ports.is_empty() {
            let mut plain = String::new();
            for p in &web.http_ports {
                let _ = writeln!(plain, "    listen {p};\n    listen [::]:{p};");
            }
            let _ = write!(
                servers,
                "  server {{\n{plain}    location / {{ return 200 \"apim-probe lab\\n\"; }}\n  }}\n"
            );
            for page in &web.pages {
                servers.push_str(&page_block(&plain, page));
            }
            if !web.deny.is_empty() {
                let _ = write!(
                    servers,
                    "  server {{\n{plain}    server_name {};\n    \
                     location / {{ return 470 \"HTTP request to $host:$server_port. Url: $host$request_uri. {FIREWALL_DENY_BODY}\\n\"; }}\n  }}\n",
                    web.deny.join(" ")
                );
            }
        }
        let conf = format!(
            "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr info;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server_names_hash_bucket_size 128;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
{servers}}}
"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).expect("write nginx.conf");
        let program = self.tools.nginx.clone();
        self.spawn_in_azure(
            &format!("nginx-{n}"),
            &program,
            &[
                "-p".into(),
                format!("{d}/"),
                "-e".into(),
                "stderr".into(),
                "-c".into(),
                path.display().to_string(),
            ],
        );
        let ready: Vec<Listen> = web
            .tls_ports
            .iter()
            .chain(&web.http_ports)
            .map(|p| Listen::TcpPort(*p))
            .collect();
        self.wait_ready(&ready);
    }

    /// Starts `openssl s_server` on `at` presenting `leaf` (and what its PEM holds after it),
    /// TLS `version` only (`"1.2"` or `"1.3"`), asking for a client certificate as `auth` says.
    pub fn start_openssl(&mut self, at: SocketAddr, leaf: &Leaf, version: &str, auth: ClientAuth) {
        let n = self.daemons.len();
        let program = self.tools.openssl.clone();
        let only = if version == "1.3" {
            "-tls1_3"
        } else {
            "-tls1_2"
        };
        let verify = match auth {
            ClientAuth::Request => "-verify",
            ClientAuth::Require => "-Verify",
        };
        let args: Vec<String> = [
            "s_server",
            "-quiet",
            // Answers HTTP and otherwise waits: without it, s_server relays its stdin (empty) and
            // closes each session at once.
            "-www",
            "-accept",
            &listen_addr(at.ip(), at.port()),
            "-cert",
            &leaf.cert_pem.display().to_string(),
            "-key",
            &leaf.key_pem.display().to_string(),
            only,
            verify,
            "1",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        self.spawn_in_azure(&format!("openssl-{n}"), &program, &args);
        self.wait_ready(&[Listen::Tcp(at)]);
    }

    /// Starts samba's smbd (no shares, no NetBIOS) on TCP 445 of the service's addresses;
    /// every folder it writes is in the lab's scratch folder.
    pub fn start_smb(&mut self, on: &Service) {
        let smbd = self.tools.smbd.clone();
        let n = self.daemons.len();
        let dir = self.dir().join(format!("samba-{n}"));
        for sub in ["private", "lock", "state", "cache", "pid", "ncalrpc", "log"] {
            std::fs::create_dir_all(dir.join(sub)).expect("samba folder");
        }
        let d = dir.display();
        let interfaces: Vec<String> = on.addrs().iter().map(ToString::to_string).collect();
        let conf = format!(
            "[global]
  server role = standalone server
  smb ports = 445
  interfaces = {}
  bind interfaces only = yes
  disable netbios = yes
  private dir = {d}/private
  lock directory = {d}/lock
  state directory = {d}/state
  cache directory = {d}/cache
  pid directory = {d}/pid
  ncalrpc dir = {d}/ncalrpc
  binddns dir = {d}/private
  log file = {d}/log/smbd.log
  log level = 1
  passdb backend = tdbsam:{d}/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  usershare path =
",
            interfaces.join(" ")
        );
        let path = dir.join("smb.conf");
        std::fs::write(&path, conf).expect("write smb.conf");
        self.spawn_in_azure(
            &format!("smbd-{n}"),
            &smbd,
            &[
                "--foreground".into(),
                "--no-process-group".into(),
                "--debug-stdout".into(),
                "-s".into(),
                path.display().to_string(),
            ],
        );
        let ready: Vec<Listen> = on
            .addrs()
            .into_iter()
            .map(|ip| Listen::Tcp(SocketAddr::new(ip, 445)))
            .collect();
        self.wait_ready(&ready);
    }
}
