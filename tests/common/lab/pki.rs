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
        let mut p = ca_params();
        p.distinguished_name.push(DnType::CommonName, common_name);
        let key = KeyPair::generate().expect("CA key");
        let pem = p.self_signed(&key).expect("self-sign CA").pem();
        Ca {
            name: common_name.to_owned(),
            pem,
            issuer: Issuer::new(p, key),
        }
    }

    /// An intermediate CA called `common_name`, signed by `self` (the shape of Azure's issuing
    /// CAs under Microsoft TLS RSA Root G2).
    pub fn intermediate(&self, common_name: &str) -> Ca {
        let mut p = ca_params();
        p.distinguished_name.push(DnType::CommonName, common_name);
        p.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("CA key");
        let pem = p.signed_by(&key, &self.issuer).expect("sign CA").pem();
        p.use_authority_key_identifier_extension = false;
        Ca {
            name: common_name.to_owned(),
            pem,
            issuer: Issuer::new(p, key),
        }
    }

    /// A CA that imitates `genuine` (one PEM certificate): its subject name byte for byte and its
    /// subject key identifier, with a key of its own; self-signed, or signed by `signer`. What
    /// an inspecting device that copies Microsoft's CA names and key ids looks like.
    pub fn imitating(genuine: &str, signer: Option<&Ca>) -> Ca {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        use x509_parser::prelude::{FromDer, X509Certificate};
        let der = CertificateDer::from_pem_slice(genuine.as_bytes()).expect("a PEM certificate");
        let (_, g) = X509Certificate::from_der(&der).expect("a certificate");
        let mut p = ca_params();
        p.distinguished_name = copy_name(g.subject());
        if let Some(ski) = g
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    Some(k.0.to_vec())
                }
                _ => None,
            })
        {
            p.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(ski);
        }
        let key = KeyPair::generate().expect("CA key");
        let pem = match signer {
            Some(s) => {
                p.use_authority_key_identifier_extension = true;
                p.signed_by(&key, &s.issuer).expect("sign CA").pem()
            }
            None => p.self_signed(&key).expect("self-sign CA").pem(),
        };
        p.use_authority_key_identifier_extension = false;
        let name = g
            .subject()
            .iter_common_name()
            .next()
            .and_then(|c| c.as_str().ok())
            .unwrap_or("?")
            .to_owned();
        Ca {
            name,
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

/// The parameters every lab CA shares.
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

/// The same distinguished name as `name`, attribute by attribute and string type by string type,
/// so that its DER is byte for byte the same.
fn copy_name(name: &x509_parser::x509::X509Name<'_>) -> rcgen::DistinguishedName {
    use x509_parser::oid_registry as oids;
    let mut dn = rcgen::DistinguishedName::new();
    for attr in name.iter_attributes() {
        let oid = attr.attr_type();
        let kind = if *oid == oids::OID_X509_COUNTRY_NAME {
            DnType::CountryName
        } else if *oid == oids::OID_X509_ORGANIZATION_NAME {
            DnType::OrganizationName
        } else if *oid == oids::OID_X509_ORGANIZATIONAL_UNIT {
            DnType::OrganizationalUnitName
        } else {
            DnType::CommonName
        };
        let value = attr.as_str().expect("a text attribute").to_owned();
        // The same string type as the original, or the DER differs.
        let value = if attr.attr_value().tag() == x509_parser::asn1_rs::Tag::PrintableString {
            rcgen::DnValue::PrintableString(value.try_into().expect("printable"))
        } else {
            rcgen::DnValue::Utf8String(value)
        };
        dn.push(kind, value);
    }
    dn
}

/// Writes several CAs into one PEM file (a trust store for `SSL_CERT_FILE`).
pub fn store(dir: &Path, name: &str, cas: &[&Ca]) -> PathBuf {
    let path = dir.join(name);
    let text: String = cas.iter().map(|c| c.pem.as_str()).collect();
    std::fs::write(&path, text).expect("write CA store");
    path
}
