//! Enums of strings the platform sends (`acr`, `amr`, `roles`): the known values named, any
//! other kept as received, so that reading one never fails.

/// Declares such an enum with `KNOWN`, `parse`, `as_str`, `Display` and serde as a plain string:
/// `pub enum Amr(Other) { Pwd => "pwd", … }` names the variant that keeps any other value.
macro_rules! wire_strings {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($other:ident) {
            $( $(#[$doc:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$doc])* $variant, )+
            /// Any other value, kept as received.
            $other(String),
        }

        impl $name {
            /// Every value this crate names.
            pub const KNOWN: &[$name] = &[$($name::$variant),+];

            /// Reads a value from the wire; never fails.
            pub fn parse(value: &str) -> $name {
                match value {
                    $($wire => $name::$variant,)+
                    other => $name::$other(other.to_owned()),
                }
            }

            /// The value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::$other(value) => value,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// In TypeScript: the values this crate names, or any other string (kept as received).
        #[cfg(feature = "ts")]
        impl ts_rs::TS for $name {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                stringify!($name).to_owned()
            }
            fn decl(cfg: &ts_rs::Config) -> String {
                format!("type {} = {};", Self::name(cfg), Self::inline(cfg))
            }
            fn decl_concrete(cfg: &ts_rs::Config) -> String {
                Self::decl(cfg)
            }
            fn inline(_: &ts_rs::Config) -> String {
                // `string & {}` keeps the named values for editors' completion.
                concat!($("\"", $wire, "\" | ",)+ "(string & {})").to_owned()
            }
            fn output_path() -> Option<std::path::PathBuf> {
                Some(concat!(stringify!($name), ".ts").into())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::parse(&<String as serde::Deserialize>::deserialize(d)?))
            }
        }
    };
}

pub(crate) use wire_strings;
