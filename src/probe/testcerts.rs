//! Certificates made at test time for the unit tests of the TLS judgement, and the genuine Azure
//! chains of `tests/fixtures/tls/` (public captures; see the SOURCES file beside them).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyIdMethod, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::trust::{CaCert, ChainCert};

/// `metadata.azure.com`'s leaf and Microsoft TLS G2 RSA CA OCSP 02, as IMDS's server sends them.
pub const METADATA_AZURE_COM: &str =
    include_str!("../../tests/fixtures/tls/metadata-azure-com.pem");
/// `microsoft.com`'s chain: leaf, OCSP 02, the G2 RSA cross-certificate, DigiCert Global Root G2.
pub const MICROSOFT_COM: &str = include_str!("../../tests/fixtures/tls/microsoft-com.pem");

/// The certificates of a PEM text, in order.
pub fn pem_chain(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A CA: its certificate's facts and the means to sign.
pub struct TestCa {
    pub der: Vec<u8>,
    pub issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    /// A self-signed CA named `CN=<cn>`.
    pub fn root(cn: &str) -> Self {
        Self::root_with(cn, None)
    }

    /// A self-signed CA named `CN=<cn>` with subject key identifier `ski` (an impostor copies
    /// the one of the CA it imitates).
    pub fn root_with(cn: &str, ski: Option<Vec<u8>>) -> Self {
        let mut p = ca_params(cn);
        if let Some(ski) = ski {
            p.key_identifier_method = KeyIdMethod::PreSpecified(ski);
        }
        let key = KeyPair::generate().unwrap();
        let der = p.self_signed(&key).unwrap().der().to_vec();
        Self {
            der,
            issuer: Issuer::new(p, key),
        }
    }

    /// A CA that imitates `genuine` (a DER certificate): the same subject name, byte for byte,
    /// and the same subject key identifier, with a key of its own; self-signed, or signed by
    /// `signer`. What an inspecting device that copies Azure's CA names looks like.
    pub fn imitating(genuine: &[u8], signer: Option<&TestCa>) -> Self {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let (_, g) = X509Certificate::from_der(genuine).unwrap();
        let mut p = CertificateParams::default();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        p.distinguished_name = copy_name(g.subject());
        let ski = g
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => {
                    Some(k.0.to_vec())
                }
                _ => None,
            });
        if let Some(ski) = ski {
            p.key_identifier_method = KeyIdMethod::PreSpecified(ski);
        }
        p.use_authority_key_identifier_extension = signer.is_some();
        let key = KeyPair::generate().unwrap();
        let der = match signer {
            Some(s) => p.signed_by(&key, &s.issuer).unwrap().der().to_vec(),
            None => p.self_signed(&key).unwrap().der().to_vec(),
        };
        Self {
            der,
            issuer: Issuer::new(p, key),
        }
    }

    /// An intermediate CA named `CN=<cn>`, signed by `self`.
    pub fn intermediate(&self, cn: &str) -> Self {
        let mut p = ca_params(cn);
        p.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        let der = p.signed_by(&key, &self.issuer).unwrap().der().to_vec();
        Self {
            der,
            issuer: Issuer::new(ca_params(cn), key),
        }
    }

    /// An intermediate CA named `CN=<cn>`, signed by `self`, whose validity ended on 2021-01-01.
    pub fn expired_intermediate(&self, cn: &str) -> Self {
        let mut p = ca_params(cn);
        p.use_authority_key_identifier_extension = true;
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let key = KeyPair::generate().unwrap();
        let der = p.signed_by(&key, &self.issuer).unwrap().der().to_vec();
        Self {
            der,
            issuer: Issuer::new(ca_params(cn), key),
        }
    }

    /// A leaf for `name`, signed by `self`, DER.
    pub fn leaf_der(&self, name: &str) -> Vec<u8> {
        let mut p = CertificateParams::new(vec![name.to_owned()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        p.signed_by(&key, &self.issuer).unwrap().der().to_vec()
    }

    /// A leaf for `name`, signed by `self`.
    pub fn leaf(&self, name: &str) -> ChainCert {
        ChainCert::from_der(&self.leaf_der(name)).unwrap()
    }

    /// This CA's certificate, as presented in a chain.
    pub fn cert(&self) -> ChainCert {
        ChainCert::from_der(&self.der).unwrap()
    }

    /// This CA, as the judgement knows a CA.
    pub fn ca(&self) -> CaCert {
        CaCert::from_der(&self.der).unwrap()
    }
}

/// A leaf DER as a [`CaCert`] (the walk reads every presented certificate that way).
pub fn known(der: &[u8]) -> CaCert {
    CaCert::from_der(der).unwrap()
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
        } else if *oid == oids::OID_X509_LOCALITY_NAME {
            DnType::LocalityName
        } else if *oid == oids::OID_X509_STATE_OR_PROVINCE_NAME {
            DnType::StateOrProvinceName
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

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}
