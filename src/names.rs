//! One convention for the names of enums in output: each enum that reports, hints or scripts
//! print declares its lowercase names once, with [`names!`], next to its serde spelling. The
//! macro gives it `as_str` and `Display`; a unit test per enum checks that both agree with serde,
//! so JSON and text never spell a value two ways.

/// Gives an enum `as_str()` (the name in reports) and `Display`, from one table of names.
macro_rules! names {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The name in reports (the same as the serde name).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            /// Every variant, in declaration order (for tests and help text).
            pub const ALL: &'static [$ty] = &[$(Self::$variant),+];
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Asserts that every variant's `as_str` is its serde name (used by each enum's unit test).
#[cfg(test)]
pub fn assert_serde_agrees<T>(all: &[T], as_str: impl Fn(&T) -> &'static str)
where
    T: serde::Serialize + std::fmt::Debug,
{
    for v in all {
        let serde = serde_json::to_value(v).expect("serialisable");
        assert_eq!(serde.as_str(), Some(as_str(v)), "{v:?}");
    }
}
