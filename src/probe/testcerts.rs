//! Certificates made at test time for the unit tests of the TLS judgement.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use super::trust::{ChainCert, ExpectedCa};

/// A CA: its certificate's facts and the means to sign.
pub struct TestCa {
    pub der: Vec<u8>,
    pub issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    /// A self-signed CA named `CN=<cn>`.
    pub fn root(cn: &str) -> Self {
        let p = ca_params(cn);
        let key = KeyPair::generate().unwrap();
        let der = p.self_signed(&key).unwrap().der().to_vec();
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

    /// A leaf for `name`, signed by `self`.
    pub fn leaf(&self, name: &str) -> ChainCert {
        let mut p = CertificateParams::new(vec![name.to_owned()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        ChainCert::from_der(p.signed_by(&key, &self.issuer).unwrap().der()).unwrap()
    }

    /// This CA's certificate, as presented in a chain.
    pub fn cert(&self) -> ChainCert {
        ChainCert::from_der(&self.der).unwrap()
    }

    /// This CA, as an expectation.
    pub fn expected(&self) -> ExpectedCa {
        ExpectedCa::from_der(&self.der).unwrap()
    }
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
