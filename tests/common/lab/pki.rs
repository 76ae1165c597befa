//! A lab PKI made at test time with rcgen: the lab's root CA (trusted and expected), an
//! "interceptor" CA (a TLS-inspecting firewall's), and leaves naming every host a lab serves.
//! Files go to the lab's scratch folder: PEM for nginx, `SSL_CERT_FILE` and `--expect-ca`, DER
//! for the lab's own responders.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA made for one lab: its PEM and the means to sign with it.
pub struct Ca {
    /// Its common name, as `detail` names an issuer (`CN=…`).
    pub name: String,
    /// The self-signed certificate, PEM.
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A leaf certificate and its key, written out.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The certificate, PEM (for nginx).
    pub cert_pem: PathBuf,
    /// The key, PEM (for nginx).
    pub key_pem: PathBuf,
    /// The certificate, DER (for the lab's responders).
    pub cert_der: PathBuf,
    /// The key, PKCS#8 DER (for the lab's responders).
    pub key_der: PathBuf,
}

impl Ca {
    /// A new self-signed CA called `common_name`.
    pub fn new(common_name: &str) -> Ca {
        let mut p = CertificateParams::default();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name.push(DnType::CommonName, common_name);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("CA key");
        let pem = p.self_signed(&key).expect("self-sign CA").pem();
        Ca {
            name: common_name.to_owned(),
            pem,
            issuer: Issuer::new(p, key),
        }
    }

    /// Writes this CA's certificate as a PEM file `name` in `dir`.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        store(dir, name, &[self])
    }

    /// [`Ca::leaf`], with the certificates of `sent` after the leaf in its PEM (the chain nginx
    /// sends: an issuing CA, a firewall's own root …).
    pub fn leaf_sending(&self, dir: &Path, stem: &str, names: &[&str], sent: &[&Ca]) -> Leaf {
        let leaf = self.leaf(dir, stem, names);
        let mut pem = std::fs::read_to_string(&leaf.cert_pem).expect("read leaf");
        for ca in sent {
            pem.push_str(&ca.pem);
        }
        std::fs::write(&leaf.cert_pem, pem).expect("write chain");
        leaf
    }

    /// A leaf valid for every name in `names` (the first is the subject), written to `dir` as
    /// `<stem>.{crt,key,crt.der,key.der}`.
    pub fn leaf(&self, dir: &Path, stem: &str, names: &[&str]) -> Leaf {
        let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut p = CertificateParams::new(sans).expect("leaf names");
        p.distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("lab"));
        p.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("leaf key");
        let cert = p.signed_by(&key, &self.issuer).expect("sign leaf");
        let out = Leaf {
            cert_pem: dir.join(format!("{stem}.crt")),
            key_pem: dir.join(format!("{stem}.key")),
            cert_der: dir.join(format!("{stem}.crt.der")),
            key_der: dir.join(format!("{stem}.key.der")),
        };
        std::fs::write(&out.cert_pem, cert.pem()).expect("write leaf");
        std::fs::write(&out.key_pem, key.serialize_pem()).expect("write key");
        std::fs::write(&out.cert_der, cert.der()).expect("write leaf der");
        std::fs::write(&out.key_der, key.serialize_der()).expect("write key der");
        out
    }
}

/// Writes several CAs into one PEM file (a trust store for `SSL_CERT_FILE`).
pub fn store(dir: &Path, name: &str, cas: &[&Ca]) -> PathBuf {
    let path = dir.join(name);
    let text: String = cas.iter().map(|c| c.pem.as_str()).collect();
    std::fs::write(&path, text).expect("write CA store");
    path
}
