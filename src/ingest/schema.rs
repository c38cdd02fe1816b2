//! Column names of the canonical touchpoint frame (documented in docs/outputs.md).

/// Event time, `Datetime[μs, UTC]`.
pub const TS: &str = "ts";
/// Source name from the config.
pub const SOURCE: &str = "source";
/// `touch` or `conversion`.
pub const KIND: &str = "kind";
/// Channel name (null for conversions of sources without a channel).
pub const CHANNEL: &str = "channel";
/// Interned channel id, an index into the sorted channel dictionary.
pub const CHANNEL_ID: &str = "channel_id";
/// Conversion value (0 for touches).
pub const VALUE: &str = "value";
/// Conversion type (null for touches).
pub const CONVERSION_TYPE: &str = "conversion_type";
/// Conversion id: the source's `conversion_id` column, else `source:line` (null for touches).
pub const CONVERSION_ID: &str = "conversion_id";
/// Input order over the whole load: sources in config order, files in name order, rows in
/// file order. Breaks ties deterministically.
pub const SEQ: &str = "seq";

/// Names a dimension may not take.
pub const RESERVED: [&str; 9] = [
    TS,
    SOURCE,
    KIND,
    CHANNEL,
    CHANNEL_ID,
    VALUE,
    CONVERSION_TYPE,
    CONVERSION_ID,
    SEQ,
];

/// `kind` value of touches.
pub const KIND_TOUCH: &str = "touch";
/// `kind` value of conversions.
pub const KIND_CONVERSION: &str = "conversion";
/// Conversion type when a source gives none.
pub const DEFAULT_CONVERSION_TYPE: &str = "conversion";
