//! People: their devices and identifiers, the channels they can be reached on, and where
//! they convert.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeviceKind {
    Mobile,
    Desktop,
    Tablet,
}

impl DeviceKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            DeviceKind::Mobile => "mobile",
            DeviceKind::Desktop => "desktop",
            DeviceKind::Tablet => "tablet",
        }
    }
}

pub(super) struct Device {
    pub(super) kind: DeviceKind,
    pub(super) cookie: String,
    pub(super) app_id: Option<String>,
    /// A household tablet used by two people.
    pub(super) shared: bool,
}

/// Junk values real exports put where an identifier is missing.
pub(super) const JUNK: [&str; 5] = [
    "0",
    "undefined",
    "null",
    "-1",
    "00000000-0000-0000-0000-000000000000",
];

pub(super) struct Person {
    pub(super) idx: u64,
    pub(super) user_id: Option<String>,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) loyalty: Option<String>,
    pub(super) customer_id: Option<String>,
    pub(super) region: &'static str,
    pub(super) devices: Vec<Device>,
    /// Logs in on web and app ([`super::Scenario::Unstitched`]: half the people never do, so
    /// their devices stay apart).
    pub(super) logs_in: bool,
}

/// Where a conversion happens.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Web(usize),
    App(usize),
    Store,
    Phone,
}

pub(super) fn uuid(a: u64) -> String {
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        (b >> 48) | 0x8000,
        b & 0xFFFF_FFFF_FFFF
    )
}

pub(super) fn make_person(
    rng: &mut ChaCha8Rng,
    seed: u64,
    idx: u64,
    shared_devices: f64,
) -> Person {
    let salt = mix(seed);
    let registered = rng.gen_bool(0.55);
    let has_email = registered || rng.gen_bool(0.2);
    let has_phone = rng.gen_bool(0.4);
    let has_loyalty = rng.gen_bool(0.3);
    let n_devices = match rng.gen::<f64>() {
        x if x < 0.45 => 1,
        x if x < 0.75 => 2,
        x if x < 0.92 => 3,
        _ => 4,
    };
    let devices = (0..n_devices)
        .map(|d| {
            let kind = match (d, rng.gen::<f64>()) {
                (0, x) if x < 0.6 => DeviceKind::Mobile,
                (0, _) => DeviceKind::Desktop,
                (_, x) if x < 0.45 => DeviceKind::Mobile,
                (_, x) if x < 0.8 => DeviceKind::Desktop,
                _ => DeviceKind::Tablet,
            };
            let key = mix(salt ^ (idx * 8 + d as u64));
            let cookie = format!("GA1.2.{}.{}", key >> 32, key & 0xFFFF_FFFF);
            let app_id = (kind != DeviceKind::Desktop && rng.gen_bool(0.35))
                .then(|| uuid(mix(key ^ 0xA5A5_A5A5)));
            Device {
                kind,
                cookie,
                app_id,
                shared: false,
            }
        })
        .collect::<Vec<_>>();
    // People 2k and 2k+1 form a household; some households share a tablet. Both members
    // derive the same decision and ids from the household number alone.
    let mut devices = devices;
    let household = idx / 2;
    let share_draw = (mix(salt ^ mix(household) ^ 0x7AB1E7) % 1_000_000) as f64 / 1e6;
    if share_draw < shared_devices {
        let key = mix(salt ^ mix(household) ^ 0x5EED);
        devices.push(Device {
            kind: DeviceKind::Tablet,
            cookie: format!("GA1.2.{}.{}", key >> 32, key & 0xFFFF_FFFF),
            app_id: Some(uuid(mix(key ^ 0xA5A5_A5A5))),
            shared: true,
        });
    }
    let email = has_email.then(|| sha256_hex(&format!("person{idx}.{seed}@example.com")));
    let phone = has_phone.then(|| sha256_hex(&format!("+1555{idx:09}.{seed}")));
    let loyalty = has_loyalty.then(|| format!("L{:011}", idx + 1));
    let customer_id = (registered || has_loyalty).then(|| format!("C{:09}", idx + 1));
    Person {
        idx,
        user_id: registered.then(|| format!("U{:016x}", mix(salt ^ mix(idx) ^ 0x55))),
        email,
        phone,
        loyalty,
        customer_id,
        region: REGIONS[rng.gen_range(0..REGIONS.len())],
        devices,
        logs_in: true,
    }
}

pub(super) fn write_identities(truth: &mut Truth, p: &Person) -> Result<()> {
    let mut row = |kind: &str, value: &str| {
        if let [ColumnBuf::Str(k), ColumnBuf::Str(v), ColumnBuf::I64(id)] =
            &mut truth.ids.columns[..]
        {
            k.push(Some(kind.to_string()));
            v.push(Some(value.to_string()));
            id.push(p.idx as i64);
        }
        truth.ids.row_done()
    };
    for d in &p.devices {
        row("cookie_id", &d.cookie)?;
        if let Some(a) = &d.app_id {
            row("device_id", a)?;
        }
    }
    for (kind, v) in [
        ("user_id", &p.user_id),
        ("email_sha256", &p.email),
        ("phone_sha256", &p.phone),
        ("loyalty_id", &p.loyalty),
        ("customer_id", &p.customer_id),
    ] {
        if let Some(v) = v {
            row(kind, v)?;
        }
    }
    Ok(())
}

/// Channels a person can be reached on.
pub(super) fn available(p: &Person, ch: Ch) -> bool {
    match ch {
        Ch::Email => p.email.is_some(),
        Ch::Sms | Ch::CallCentre => p.phone.is_some(),
        Ch::Push => p.devices.iter().any(|d| d.app_id.is_some()),
        _ => true,
    }
}

pub(super) fn choose_place(
    rng: &mut ChaCha8Rng,
    p: &Person,
    touches: &[(i64, Ch, usize)],
    store_share: f64,
) -> Place {
    let last_ch = touches.last().map(|t| t.1);
    if p.phone.is_some() && (last_ch == Some(Ch::CallCentre) || rng.gen_bool(0.05)) {
        return Place::Phone;
    }
    if p.loyalty.is_some() && rng.gen_bool(store_share) {
        return Place::Store;
    }
    let dev = rng.gen_range(0..p.devices.len());
    if p.devices[dev].app_id.is_some() && p.user_id.is_some() && rng.gen_bool(0.5) {
        Place::App(dev)
    } else {
        Place::Web(dev)
    }
}
