//! Packing keeps every object's JSON exactly, reads plain rows as they are, and refuses bytes it
//! cannot unpack.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;

/// An Application much as the operator leaves it: none of its values are in the dictionary.
fn application() -> Vec<u8> {
    let runtimes: Vec<String> = (0..40).map(|i| format!("rt-{i:04}")).collect();
    let object = json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": {
            "name": "billing", "namespace": "tenant-b", "uid": "0b5e3c1a-7d2f-4c11-9f0e-3a6b2d4c8e10",
            "resourceVersion": "81723", "generation": 3, "creationTimestamp": "2027-03-01T08:00:00Z",
            "managedFields": [{
                "apiVersion": "compass.kyma-project.io/v1alpha1", "fieldsType": "FieldsV1",
                "fieldsV1": { "f:status": { "f:conditions": {}, "f:runtimes": {} } },
                "manager": "application-controller.compass.kyma-project.io",
                "operation": "Apply", "subresource": "status", "time": "2027-03-01T08:00:01Z",
            }],
        },
        "spec": { "providerName": "Billing Ltd", "description": "Invoices and payments.",
                  "scenarios": ["finance"] },
        "status": {
            "conditions": [{ "type": "Ready", "status": "True", "reason": "Registered",
                             "message": "The application is registered; 40 runtimes see it",
                             "observedGeneration": 3, "lastTransitionTime": "2027-03-01T08:00:01Z" }],
            "observedGeneration": 3, "runtimeCount": 40, "runtimes": runtimes,
        },
    });
    serde_json::to_vec(&object).unwrap()
}

/// Stored bytes as a reader takes them: checked to unpack before use.
fn checked(stored: Bytes) -> Result<Packed, Unpackable> {
    let packed = Packed::from_stored(stored);
    packed.unpack()?;
    Ok(packed)
}

#[test]
fn a_typical_object_packs_to_a_fraction_and_unpacks_exactly() {
    let json = application();
    let packed = Packed::pack(&json);
    assert!(
        packed.stored().len() * 2 < json.len(),
        "{} bytes packed to {}",
        json.len(),
        packed.stored().len()
    );
    assert_eq!(packed.json().as_ref(), json.as_slice());
    assert_eq!(packed.json_bytes().as_ref(), json.as_slice());
    assert_eq!(packed.json_len(), json.len());
    assert_eq!(
        json_len_of(&packed.stored()[..HEADER], packed.stored().len()),
        json.len()
    );
    let read = checked(Bytes::copy_from_slice(packed.stored())).unwrap();
    assert_eq!(read.json().as_ref(), json.as_slice());
}

#[test]
fn plain_json_from_before_packing_is_read_as_it_is() {
    let json = Bytes::from(application());
    let read = checked(json.clone()).unwrap();
    assert_eq!(read.json().as_ref(), json.as_ref());
    assert_eq!(read.json_len(), json.len());
    // Served without a copy.
    assert_eq!(read.json_bytes().as_ptr(), json.as_ptr());
}

#[test]
fn what_would_not_shrink_is_kept_plain() {
    let small = br#"{"a":1}"#;
    assert_eq!(Packed::pack(small).stored(), small);
    let noise = crate::store::tests::noise(4000);
    let json = serde_json::to_vec(&json!({ "data": noise })).unwrap();
    let packed = Packed::pack(&json);
    assert_eq!(packed.stored(), json.as_slice());
    assert_eq!(packed.json().as_ref(), json.as_slice());
}

#[test]
fn bytes_that_do_not_unpack_are_refused() {
    let packed = Packed::pack(&application());
    let stored = packed.stored();
    let cut = Bytes::copy_from_slice(&stored[..stored.len() / 2]);
    assert!(checked(cut).is_err(), "a packed object cut short");
    let mut longer = stored.to_vec();
    longer[1..HEADER].copy_from_slice(&(u32::MAX).to_le_bytes());
    assert!(
        checked(longer.clone().into()).is_err(),
        "a length too large to be"
    );
    let len = packed.json_len() as u32 + 1;
    longer[1..HEADER].copy_from_slice(&len.to_le_bytes());
    assert!(checked(longer.into()).is_err(), "a wrong length");
    assert!(
        checked(Bytes::from_static(&[PACKED_1, 0])).is_err(),
        "a header cut short"
    );
    let later = Bytes::from_static(b"\x02\x00\x00\x00\x00");
    let error = checked(later).unwrap_err().to_string();
    assert!(error.contains("unknown packing 2"), "{error}");
}

#[test]
fn the_dictionary_is_never_edited() {
    // Every packed row in every database depends on these exact bytes: a better dictionary is
    // a new one, with a marker of its own.
    let digest = Sha256::digest(DICTIONARY_1);
    let hex = compass_crds::hex::lower(&digest);
    assert_eq!(
        hex,
        "4f8b56010c4f5b5a32240597ba6ff96a5707f678e86958cbe27b1de09091a233"
    );
}
