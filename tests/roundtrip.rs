//! Property tests: arbitrary values come back exactly through both backends and through
//! `kimera::from_slice`'s auto-detection.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Debug;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
};
use kimera::compact::Compact;
use kimera::{Kimera, KimeraHandler};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::de::DeserializeOwned;

mod support;
use serde::{Deserialize, Serialize};
use support::XorShift;

/// Modest case counts, and no regression files written next to the tests.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(64)
    }
}

// ---------------------------------------------------------------------------------------------
// Round-trip helpers.
// ---------------------------------------------------------------------------------------------

/// `value` through the binary backend: `from_slice`, `from_reader` and auto-detection.
fn through_binary<T>(value: &T, same: impl Fn(&T, &T) -> bool) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + KimeraHandler + Debug,
{
    let bytes = kimera::binary::to_vec(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let decoded = [
        kimera::binary::from_slice::<T>(&bytes),
        kimera::binary::from_reader::<_, T>(&bytes[..]),
        kimera::from_slice::<T>(&bytes),
    ];
    for back in decoded {
        let back = back.map_err(|e| TestCaseError::fail(format!("binary decode: {e}")))?;
        prop_assert!(
            same(&back, value),
            "binary: {:?} came back as {:?}",
            value,
            back
        );
    }
    Ok(())
}

/// `value` through the JSON backend: `from_slice`, `from_reader`, `from_str` and auto-detection.
fn through_json<T>(value: &T, same: impl Fn(&T, &T) -> bool) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + KimeraHandler + Debug,
{
    let text = kimera::json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    // `to_string` writes the header as bytes; `to_writer` goes through the serializer.
    let mut streamed = Vec::new();
    kimera::json::to_writer(&mut streamed, value)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&text.as_bytes(), &streamed.as_slice());
    let pretty =
        kimera::json::to_string_pretty(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let decoded = [
        kimera::json::from_slice::<T>(text.as_bytes()),
        kimera::json::from_str::<T>(&text),
        kimera::json::from_reader::<_, T>(text.as_bytes()),
        kimera::from_slice::<T>(text.as_bytes()),
        kimera::json::from_str::<T>(&pretty),
    ];
    for back in decoded {
        let back = back.map_err(|e| TestCaseError::fail(format!("JSON decode of {text}: {e}")))?;
        prop_assert!(same(&back, value), "JSON {}: came back as {:?}", text, back);
    }
    Ok(())
}

fn both<T>(value: &T) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + KimeraHandler + Debug + PartialEq,
{
    through_binary(value, T::eq)?;
    through_json(value, T::eq)
}

// ---------------------------------------------------------------------------------------------
// Float strategies.
// ---------------------------------------------------------------------------------------------

/// Any finite `f64`, both signs, normal, subnormal and zero.
fn finite_f64() -> impl Strategy<Value = f64> + Clone {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

fn finite_f32() -> impl Strategy<Value = f32> {
    use prop::num::f32::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

/// Decimal-friendly `f64`s (`m / 10^k`, few digits), which serde_json's default float parser
/// reads back exactly; used where the point of a JSON test is the other fields (see
/// `json_floats_round_trip_exactly` for the whole range; `f32` has no such problem).
fn short_f64() -> impl Strategy<Value = f64> + Clone {
    (any::<i32>(), 0i32..=6).prop_map(|(m, k)| f64::from(m) / 10f64.powi(k))
}

// ---------------------------------------------------------------------------------------------
// A derived struct with many field types.
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
enum Shape {
    Empty,
    Circle(f64),
    Segment(i32, i32),
    Rect { w: u16, h: u16, label: String },
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq, Clone)]
#[kimera(name = "test.Everything", version = 7)]
struct Everything {
    a_u8: u8,
    a_u16: u16,
    a_u32: u32,
    a_u64: u64,
    a_u128: u128,
    a_usize: usize,
    a_i8: i8,
    a_i16: i16,
    a_i32: i32,
    a_i64: i64,
    a_i128: i128,
    a_isize: isize,
    a_f32: f32,
    a_f64: f64,
    flag: bool,
    letter: char,
    text: String,
    maybe_text: Option<String>,
    maybe_number: Option<i64>,
    list: Vec<u16>,
    deque: VecDeque<i32>,
    sorted: BTreeMap<String, i64>,
    hashed: HashMap<u32, String>,
    set: BTreeSet<i8>,
    tuple: (u8, String, bool),
    array: [u8; 4],
    shape: Shape,
    shapes: Vec<Shape>,
    boxed: Box<Shape>,
    boxed_text: Box<str>,
    shared: Rc<Vec<u8>>,
    atomic: Arc<str>,
    nested: Vec<Option<Vec<(i16, char)>>>,
}

fn shape(f: impl Strategy<Value = f64> + Clone) -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Empty),
        f.prop_map(Shape::Circle),
        (any::<i32>(), any::<i32>()).prop_map(|(a, b)| Shape::Segment(a, b)),
        (any::<u16>(), any::<u16>(), any::<String>()).prop_map(|(w, h, label)| Shape::Rect {
            w,
            h,
            label
        }),
    ]
}

fn everything(
    f64s: impl Strategy<Value = f64> + Clone,
    f32s: impl Strategy<Value = f32>,
) -> impl Strategy<Value = Everything> {
    let unsigned = (
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        any::<u64>(),
        any::<u128>(),
        any::<usize>(),
    );
    let signed = (
        any::<i8>(),
        any::<i16>(),
        any::<i32>(),
        any::<i64>(),
        any::<i128>(),
        any::<isize>(),
    );
    let scalars = (
        f32s,
        f64s.clone(),
        any::<bool>(),
        any::<char>(),
        any::<String>(),
    );
    let collections = (
        any::<Option<String>>(),
        any::<Option<i64>>(),
        prop::collection::vec(any::<u16>(), 0..8),
        prop::collection::vec_deque(any::<i32>(), 0..8),
        prop::collection::btree_map(any::<String>(), any::<i64>(), 0..5),
        prop::collection::hash_map(any::<u32>(), any::<String>(), 0..5),
        prop::collection::btree_set(any::<i8>(), 0..8),
        (any::<u8>(), any::<String>(), any::<bool>()),
        any::<[u8; 4]>(),
    );
    let composites = (
        shape(f64s.clone()),
        prop::collection::vec(shape(f64s.clone()), 0..4),
        shape(f64s),
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..8),
        any::<String>(),
        prop::collection::vec(
            prop::option::of(prop::collection::vec(any::<(i16, char)>(), 0..3)),
            0..3,
        ),
    );
    (unsigned, signed, scalars, collections, composites).prop_map(
        |(
            (a_u8, a_u16, a_u32, a_u64, a_u128, a_usize),
            (a_i8, a_i16, a_i32, a_i64, a_i128, a_isize),
            (a_f32, a_f64, flag, letter, text),
            (maybe_text, maybe_number, list, deque, sorted, hashed, set, tuple, array),
            (shape, shapes, boxed, boxed_text, shared, atomic, nested),
        )| Everything {
            a_u8,
            a_u16,
            a_u32,
            a_u64,
            a_u128,
            a_usize,
            a_i8,
            a_i16,
            a_i32,
            a_i64,
            a_i128,
            a_isize,
            a_f32,
            a_f64,
            flag,
            letter,
            text,
            maybe_text,
            maybe_number,
            list,
            deque,
            sorted,
            hashed,
            set,
            tuple,
            array,
            shape,
            shapes,
            boxed: Box::new(boxed),
            boxed_text: boxed_text.into(),
            shared: Rc::new(shared),
            atomic: Arc::from(atomic),
            nested,
        },
    )
}

/// Equality that also tells `0.0` from `-0.0`.
fn same_everything(a: &Everything, b: &Everything) -> bool {
    a == b && a.a_f64.to_bits() == b.a_f64.to_bits() && a.a_f32.to_bits() == b.a_f32.to_bits()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn everything_round_trips_through_binary(value in everything(finite_f64(), finite_f32())) {
        through_binary(&value, same_everything)?;
    }

    #[test]
    fn everything_round_trips_through_json(value in everything(short_f64(), finite_f32())) {
        through_json(&value, same_everything)?;
    }

    #[test]
    fn binary_carries_any_float_bits(doubles in prop::collection::vec(any::<u64>(), 0..16),
                                     singles in prop::collection::vec(any::<u32>(), 0..16)) {
        // Every bit pattern, NaNs with payloads included.
        let doubles: Vec<f64> = doubles.into_iter().map(f64::from_bits).collect();
        let singles: Vec<f32> = singles.into_iter().map(f32::from_bits).collect();
        through_binary(&doubles, |a, b| {
            a.iter().map(|f| f.to_bits()).eq(b.iter().map(|f| f.to_bits()))
        })?;
        through_binary(&singles, |a, b| {
            a.iter().map(|f| f.to_bits()).eq(b.iter().map(|f| f.to_bits()))
        })?;
    }

    // Top-level built-ins.

    #[test]
    fn vec_of_i64_round_trips(value in any::<Vec<i64>>()) {
        both(&value)?;
    }

    #[test]
    fn pair_round_trips(value in any::<(String, u8)>()) {
        both(&value)?;
    }

    #[test]
    fn option_of_string_round_trips(value in any::<Option<String>>()) {
        both(&value)?;
    }

    #[test]
    fn map_of_f64_round_trips(
        binary in prop::collection::btree_map(any::<String>(), finite_f64(), 0..8),
        json in prop::collection::btree_map(any::<String>(), short_f64(), 0..8),
    ) {
        through_binary(&binary, BTreeMap::eq)?;
        both(&json)?;
    }
}

#[test]
fn unit_round_trips() {
    both(&()).unwrap();
    assert_eq!(
        kimera::json::to_string(&()).unwrap(),
        r#"{"kimera":1,"type":"unit","version":1,"value":null}"#
    );
}

// ---------------------------------------------------------------------------------------------
// Floats through JSON over their whole range.
// ---------------------------------------------------------------------------------------------

#[test]
fn json_floats_round_trip_exactly() {
    let mut rng = XorShift(0x0123_4567_89AB_CDEF);
    let mut wrong = Vec::new();
    let mut wrong_f32 = Vec::new();
    let mut checked = 0;
    while checked < 20_000 {
        let x = f64::from_bits(rng.next());
        if !x.is_finite() {
            continue;
        }
        checked += 1;
        let text = kimera::json::to_string(&x).unwrap();
        let back: f64 = kimera::json::from_str(&text).unwrap();
        if back.to_bits() != x.to_bits() {
            wrong.push((x, back));
        }
        let y = f32::from_bits(rng.next() as u32);
        if y.is_finite() {
            let text = kimera::json::to_string(&y).unwrap();
            let back: f32 = kimera::json::from_str(&text).unwrap();
            if back.to_bits() != y.to_bits() {
                wrong_f32.push((y, back));
            }
        }
    }
    assert!(
        wrong.is_empty() && wrong_f32.is_empty(),
        "{} of {checked} f64 and {} f32 came back changed through JSON, e.g. (written, read): \
         {:?} {:?}",
        wrong.len(),
        wrong_f32.len(),
        &wrong[..wrong.len().min(3)],
        &wrong_f32[..wrong_f32.len().min(3)],
    );
}

// ---------------------------------------------------------------------------------------------
// chrono and std::time over their whole range.
// ---------------------------------------------------------------------------------------------

fn date() -> impl Strategy<Value = NaiveDate> {
    let days = NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce();
    prop_oneof![
        // The whole range...
        3 => days.prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap()),
        // ...and around the four-digit years, where text formats change.
        1 => (-20_000i32..20_000, 1u32..=366).prop_map(|(y, d)| {
            NaiveDate::from_yo_opt(y, d).unwrap_or_else(|| NaiveDate::from_yo_opt(y, 365).unwrap())
        }),
    ]
}

fn time() -> impl Strategy<Value = NaiveTime> {
    prop_oneof![
        4 => (0u32..86_400, 0u32..1_000_000_000),
        // Leap seconds: a fraction of 1e9 or more, at second 59 of a minute.
        1 => (0u32..1_440, 1_000_000_000u32..2_000_000_000).prop_map(|(m, n)| (m * 60 + 59, n)),
    ]
    .prop_map(|(secs, nanos)| NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).unwrap())
}

fn date_time() -> impl Strategy<Value = NaiveDateTime> {
    (date(), time()).prop_map(|(d, t)| d.and_time(t))
}

/// Offsets in whole minutes, the precision RFC 3339 text has (see
/// `offset_date_time_with_seconds_in_the_offset_round_trips` for the others).
fn minute_offset() -> impl Strategy<Value = FixedOffset> {
    prop_oneof![
        (-1_439i32..=1_439).prop_map(|m| m * 60),
        // Whole quarters of an hour, as most zones use today.
        (-95i32..=95).prop_map(|q| q * 900),
    ]
    .prop_map(|secs| FixedOffset::east_opt(secs).unwrap())
}

/// Any offset chrono accepts, seconds included (historical local mean times had them: Amsterdam
/// was +00:19:32 until 1937).
fn any_offset() -> impl Strategy<Value = FixedOffset> {
    (-86_399i32..=86_399).prop_map(|secs| FixedOffset::east_opt(secs).unwrap())
}

/// `utc` is at least a day inside NaiveDateTime's range, so that any local time is too.
fn local_time_representable(utc: &NaiveDateTime) -> bool {
    utc.checked_add_signed(TimeDelta::days(1)).is_some()
        && utc.checked_sub_signed(TimeDelta::days(1)).is_some()
}

fn time_delta() -> impl Strategy<Value = TimeDelta> {
    let secs = TimeDelta::MIN.num_seconds() - 1..=TimeDelta::MAX.num_seconds();
    prop_oneof![
        (secs, 0u32..1_000_000_000),
        (-100_000i64..100_000, 0u32..1_000_000_000),
    ]
    .prop_filter_map("within TimeDelta's range", |(s, n)| TimeDelta::new(s, n))
}

fn same_offset_date_time(a: &DateTime<FixedOffset>, b: &DateTime<FixedOffset>) -> bool {
    // `==` compares instants only: the offset must come back too.
    a == b && a.offset() == b.offset()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn naive_date_round_trips(value in date()) {
        both(&value)?;
    }

    #[test]
    fn naive_time_round_trips(value in time()) {
        both(&value)?;
    }

    #[test]
    fn naive_date_time_round_trips(value in date_time()) {
        both(&value)?;
    }

    #[test]
    fn utc_date_time_round_trips(value in date_time()) {
        both(&value.and_utc())?;
    }

    #[test]
    fn offset_date_time_round_trips(utc in date_time(), offset in minute_offset()) {
        prop_assume!(local_time_representable(&utc));
        let value = offset.from_utc_datetime(&utc);
        through_binary(&value, same_offset_date_time)?;
        through_json(&value, same_offset_date_time)?;
    }

    #[test]
    #[ignore = "KNOWN LIMITATION of chrono's serde format, documented in docs/schema.md: DateTime<FixedOffset> loses the seconds of its offset in both backends (+00:04:01 is written +00:04, the instant moves by 1 s; -23:59:59 is written -24:00, which does not decode)"]
    fn offset_date_time_with_seconds_in_the_offset_round_trips(
        utc in date_time(),
        offset in any_offset(),
    ) {
        prop_assume!(local_time_representable(&utc));
        let value = offset.from_utc_datetime(&utc);
        through_binary(&value, same_offset_date_time)?;
        through_json(&value, same_offset_date_time)?;
    }

    #[test]
    fn time_delta_round_trips(value in time_delta()) {
        both(&value)?;
    }

    #[test]
    fn std_duration_round_trips(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
        both(&Duration::new(secs, nanos))?;
    }

    #[test]
    fn chrono_values_round_trip_inside_a_struct(
        date in date(), time in time(), at in date_time(), delta in time_delta(),
        secs in any::<u64>(), nanos in 0u32..1_000_000_000,
    ) {
        let value = Timeline {
            date,
            time,
            at,
            at_utc: at.and_utc(),
            delta,
            elapsed: Duration::new(secs, nanos),
            history: vec![(at, delta)],
        };
        both(&value)?;
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn compact_chrono_values_round_trip(
        date in date(), time in time(), at in date_time(), offset in any_offset(),
    ) {
        prop_assume!(local_time_representable(&at));
        both(&Compact(date))?;
        both(&Compact(time))?;
        both(&Compact(at))?;
        both(&Compact(at.and_utc()))?;
        // Exact, seconds of the offset included (chrono's text form rounds them).
        let exact = |a: &Compact<DateTime<FixedOffset>>, b: &Compact<DateTime<FixedOffset>>| {
            same_offset_date_time(a, b)
        };
        let local = Compact(offset.from_utc_datetime(&at));
        through_binary(&local, exact)?;
        through_json(&local, exact)?;
        both(&CompactFields { at, day: Some(date), time, days: vec![Compact(date); 2] })?;
    }
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct CompactFields {
    #[serde(with = "kimera::compact")]
    at: NaiveDateTime,
    #[serde(with = "kimera::compact")]
    day: Option<NaiveDate>,
    #[serde(with = "kimera::compact")]
    time: NaiveTime,
    days: Vec<Compact<NaiveDate>>,
}

#[test]
fn compact_fields_are_described_as_compact() {
    assert_eq!(
        CompactFields::SCHEMA.to_string(),
        "CompactFields@1 struct { at: compact<datetime>, day: option<compact<date>>, \
         time: compact<time>, days: list<compact<date>> }"
    );
}

/// Envelopes the readers' byte-comparison fast paths cannot take (a version of two bytes, a
/// name of two length bytes, a generic name) go the general way.
#[test]
fn envelopes_off_the_fast_path_round_trip() {
    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(version = 300)]
    struct Late(u8);

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    #[kimera(
        name = "a.very.long.name.that.needs.two.bytes.of.length.in.the.binary.header.because.it.is.longer.than.one.hundred.and.twenty.seven.bytes"
    )]
    struct Long(u8);

    #[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
    struct Page<T> {
        items: Vec<T>,
    }

    ok(both(&Late(1)));
    ok(both(&Long(2)));
    assert!(Long::type_name().len() > 127);
    ok(both(&Page { items: vec![1u8] }));
}

#[derive(Serialize, Deserialize, Kimera, Debug, PartialEq)]
struct Timeline {
    date: NaiveDate,
    time: NaiveTime,
    at: NaiveDateTime,
    at_utc: DateTime<Utc>,
    delta: TimeDelta,
    elapsed: Duration,
    history: Vec<(NaiveDateTime, TimeDelta)>,
}

fn ok(result: Result<(), TestCaseError>) {
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[test]
fn chrono_and_std_extremes_round_trip() {
    let dates = [
        NaiveDate::MIN,
        NaiveDate::MAX,
        NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(1000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(-10000, 2, 29).unwrap(),
    ];
    let times = [
        NaiveTime::MIN,
        NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap(),
        NaiveTime::from_hms_nano_opt(23, 59, 59, 1_999_999_999).unwrap(),
        NaiveTime::from_hms_nano_opt(12, 0, 0, 1).unwrap(),
        NaiveTime::from_hms_nano_opt(12, 0, 0, 100_000).unwrap(),
    ];
    for date in dates {
        ok(both(&date));
        for time in times {
            let at = date.and_time(time);
            ok(both(&at));
            ok(both(&at.and_utc()));
        }
    }
    for time in times {
        ok(both(&time));
    }
    // Offsets at the ends of the range, where the instant is still representable.
    let min = NaiveDateTime::MIN + TimeDelta::days(1);
    let max = NaiveDateTime::MAX - TimeDelta::days(1);
    for secs in [-86_340, -3600, -60, 0, 60, 3600, 86_340] {
        let offset = FixedOffset::east_opt(secs).unwrap();
        for utc in [min, max] {
            let value = offset.from_utc_datetime(&utc);
            ok(through_binary(&value, same_offset_date_time));
            ok(through_json(&value, same_offset_date_time));
        }
    }
    for delta in [
        TimeDelta::MIN,
        TimeDelta::MAX,
        TimeDelta::zero(),
        TimeDelta::nanoseconds(-1),
        TimeDelta::nanoseconds(1),
    ] {
        ok(both(&delta));
    }
    for duration in [Duration::ZERO, Duration::MAX, Duration::new(0, 1)] {
        ok(both(&duration));
    }
}

#[test]
#[ignore = "KNOWN LIMITATION of chrono's Serialize, documented in docs/schema.md: encoding a DateTime<FixedOffset> whose local time is outside NaiveDateTime's range panics (in chrono's Serialize) instead of returning an error"]
fn offset_date_time_at_the_ends_of_the_range_does_not_panic() {
    use std::panic::catch_unwind;
    let cases = [
        FixedOffset::west_opt(1)
            .unwrap()
            .from_utc_datetime(&NaiveDateTime::MIN),
        FixedOffset::east_opt(1)
            .unwrap()
            .from_utc_datetime(&NaiveDateTime::MAX),
    ];
    for value in cases {
        // Either it comes back exactly, or it is refused with an encode error: never a panic.
        let json = catch_unwind(|| kimera::json::to_vec(&value).map(|_| ()));
        let binary = catch_unwind(|| kimera::binary::to_vec(&value).map(|_| ()));
        for (backend, result) in [("json", json), ("binary", binary)] {
            match result {
                Err(_) => panic!("{backend}: encoding {:?} panicked", value.naive_utc()),
                Ok(Err(err)) => assert!(
                    matches!(err.kind(), kimera::ErrorKind::Encode { .. }),
                    "{backend}: {err:?}"
                ),
                Ok(Ok(())) => {}
            }
        }
        if let Ok(bytes) = kimera::binary::to_vec(&value) {
            let back: DateTime<FixedOffset> = kimera::binary::from_slice(&bytes).unwrap();
            assert!(same_offset_date_time(&back, &value));
        }
    }
}
