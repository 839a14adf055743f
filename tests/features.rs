//! Builds with some of kimera's features off. CI runs this file in several configurations
//! (`.ci/run`, "feature-off tests"); each test is compiled in the ones it is about, and an
//! `--all-features` build has none of them.

/// Builds with one backend of the two.
#[cfg(any(
    all(feature = "json", not(feature = "binary")),
    all(feature = "binary", not(feature = "json"))
))]
mod one_backend {
    use kimera::ErrorKind;

    /// `[1, 2, 3]` as a `Vec<u8>` in each backend, written by a build with both.
    pub const JSON: &[u8] = include_bytes!("golden/list_u8.json");
    pub const BINARY: &[u8] = include_bytes!("golden/list_u8.bin");

    /// The error for an envelope of the backend this build lacks names its feature.
    pub fn assert_names_feature(bytes: &[u8], feature: &str) {
        let err = kimera::from_slice::<Vec<u8>>(bytes).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::NotAnEnvelope { .. }),
            "{err}"
        );
        let expected = format!("has no {feature} backend: enable kimera's `{feature}` feature");
        assert!(err.to_string().contains(&expected), "{err}");
        let err = kimera::read_header(bytes).unwrap_err();
        assert!(err.to_string().contains(&expected), "{err}");
    }
}

#[cfg(all(feature = "json", not(feature = "binary")))]
#[test]
fn a_json_only_build_reads_json_and_names_the_feature_binary_needs() {
    use one_backend::{assert_names_feature, BINARY, JSON};
    assert_eq!(kimera::from_slice::<Vec<u8>>(JSON).unwrap(), [1, 2, 3]);
    assert_names_feature(BINARY, "binary");
}

#[cfg(all(feature = "binary", not(feature = "json")))]
#[test]
fn a_binary_only_build_reads_binary_and_names_the_feature_json_needs() {
    use one_backend::{assert_names_feature, BINARY, JSON};
    assert_eq!(kimera::from_slice::<Vec<u8>>(BINARY).unwrap(), [1, 2, 3]);
    assert_names_feature(JSON, "json");
    assert_names_feature(b"  \n{\"kimera\":1}", "json");
}

/// Without the registry (and `inventory`), derived types are still whole handlers.
#[cfg(all(
    feature = "derive",
    not(feature = "registry"),
    any(feature = "json", feature = "binary")
))]
#[test]
fn derived_types_work_without_the_registry() {
    use kimera::{Format, Kimera, KimeraHandler};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "shop.Order", version = 2, previous = OrderV1)]
    struct Order {
        id: u64,
        skus: Vec<String>,
    }

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(name = "shop.Order")]
    struct OrderV1 {
        id: u64,
        sku: String,
    }

    impl From<OrderV1> for Order {
        fn from(v1: OrderV1) -> Self {
            Order {
                id: v1.id,
                skus: vec![v1.sku],
            }
        }
    }

    fn check<F: Format>(format: F) {
        let old = format
            .encode(&OrderV1 {
                id: 1,
                sku: "A".into(),
            })
            .unwrap();
        let order: Order = format.decode(&old).unwrap();
        assert_eq!(order.skus, ["A"]);
        let err = format
            .decode::<OrderV1>(&format.encode(&order).unwrap())
            .unwrap_err();
        assert!(
            matches!(err.kind(), kimera::ErrorKind::NewerVersion { .. }),
            "{err}"
        );
    }
    assert_eq!(Order::type_name(), "shop.Order");
    #[cfg(feature = "json")]
    check(kimera::Json::new());
    #[cfg(feature = "binary")]
    check(kimera::Binary::new());
}
