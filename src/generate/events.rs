//! Rows: each touch, session, conversion and identity link written into the exports of
//! the systems that record it, with the bad rows and junk identifiers real exports carry.

use super::*;

pub(super) fn write_crm(
    rng: &mut ChaCha8Rng,
    p: &Person,
    customer: &str,
    start: i64,
    sinks: &mut Sinks,
) -> Result<()> {
    let created = local(
        start - rng.gen_range(30..2000) * DAY,
        chrono_tz::UTC,
        "%Y-%m-%d",
    );
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    sinks.crm.row(&[
        customer,
        &s(&p.user_id),
        &s(&p.email),
        &s(&p.phone),
        &s(&p.loyalty),
        &created,
    ])?;
    sinks.count(CRM, false, false);
    if sinks.plant_bad(rng) {
        // A CRM row with no identifier at all.
        sinks.crm.row(&["", "", "", "", "", &created])?;
        sinks.count(CRM, true, false);
    }
    Ok(())
}

/// Logins on app devices: the app's login-event export links device and account.
pub(super) fn write_logins(
    rng: &mut ChaCha8Rng,
    p: &Person,
    start: i64,
    end: i64,
    sinks: &mut Sinks,
) -> Result<()> {
    let Some(user) = p.user_id.as_ref().filter(|_| p.logs_in) else {
        return Ok(());
    };
    for d in &p.devices {
        if let Some(app) = &d.app_id {
            let ts = rfc3339(start + rng.gen_range(0..end - start));
            sinks.logins.row(&[&ts, app, user])?;
            sinks.count(LOGINS, false, false);
            if sinks.plant_bad(rng) {
                sinks.logins.row(&[&ts, "", ""])?;
                sinks.count(LOGINS, true, false);
            }
        }
    }
    Ok(())
}

pub(super) fn emit_touch(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    ch: Ch,
    dev: usize,
    sinks: &mut Sinks,
    units: &mut BTreeMap<(i64, Ch), u64>,
) -> Result<()> {
    let device = &p.devices[dev];
    match ch {
        Ch::PaidSearch | Ch::PaidSocial | Ch::Display | Ch::PaidVideo => {
            emit_ad_click(rng, p, ts, ch, dev, sinks, units)?
        }
        Ch::Email => emit_email(rng, p, ts, sinks, units)?,
        Ch::Sms => emit_sms(rng, p, ts, sinks, units)?,
        Ch::Push => emit_push(rng, p, ts, sinks)?,
        Ch::CallCentre => emit_call(rng, p, ts, sinks)?,
        Ch::Direct if device.app_id.is_some() && rng.gen_bool(0.5) => {
            emit_app_session(rng, p, dev, ts, "", "", sinks)?;
        }
        _ => emit_web_session(rng, p, dev, ts, ch, sinks)?,
    }
    Ok(())
}

/// A campaign name: the prefix and one of six numbers.
fn campaign(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    format!("{prefix}_{:02}", rng.gen_range(1..7))
}

/// An ad click (paid search, social, display, video) as the ad platform exports it, with its
/// cost; its unit of spend counted for the day.
#[allow(clippy::too_many_arguments)]
fn emit_ad_click(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    ch: Ch,
    dev: usize,
    sinks: &mut Sinks,
    units: &mut BTreeMap<(i64, Ch), u64>,
) -> Result<()> {
    let device = &p.devices[dev];
    let day = ts.div_euclid(DAY);
    let (platform, ad_type, prefix, cpc) = match ch {
        Ch::PaidSearch => ("google_ads", "cpc", "search", 1.4),
        Ch::PaidSocial => ("meta", "paid_social", "social", 0.9),
        Ch::PaidVideo => ("youtube", "cpv", "video", 0.6),
        _ => ("dv360", "display", "display", 0.4),
    };
    *units.entry((day, ch)).or_default() += 1;
    let click_time = naive_local_micros(ts, chrono_tz::America::New_York);
    let camp = campaign(rng, prefix);
    let cost = (cpc * (0.5 + rng.gen::<f64>()) * 100.0).round() / 100.0;
    let id = format!("clk{:016x}", mix(ts as u64 ^ mix(p.idx)));
    push_ad(
        sinks,
        &id,
        click_time,
        &device.cookie,
        platform,
        ad_type,
        &camp,
        cost,
    )?;
    sinks.count(ADS, false, false);
    if sinks.plant_bad(rng) {
        // A click the ad platform exported without its cookie.
        push_ad(sinks, &id, click_time, "", platform, ad_type, &camp, cost)?;
        sinks.count(ADS, true, false);
    }
    Ok(())
}

/// An e-mail open or click, after its send (ignored rows, like bounces); London day-first
/// times.
fn emit_email(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    sinks: &mut Sinks,
    units: &mut BTreeMap<(i64, Ch), u64>,
) -> Result<()> {
    let email = p.email.as_deref().unwrap_or_default();
    let camp = campaign(rng, "newsletter");
    let sent = ts - rng.gen_range(1..48) * HOUR;
    let fmt = "%d/%m/%Y %H:%M:%S";
    let london = chrono_tz::Europe::London;
    *units.entry((sent.div_euclid(DAY), Ch::Email)).or_default() += 1;
    sinks
        .email
        .row(&[&local(sent, london, fmt), email, "send", &camp])?;
    sinks.count(EMAIL, false, true);
    let event = if rng.gen_bool(0.6) { "open" } else { "click" };
    sinks
        .email
        .row(&[&local(ts, london, fmt), email, event, &camp])?;
    sinks.count(EMAIL, false, false);
    if rng.gen_bool(0.02) {
        sinks
            .email
            .row(&[&local(ts, london, fmt), email, "bounce", &camp])?;
        sinks.count(EMAIL, false, true);
    }
    if sinks.plant_bad(rng) {
        // An event type the config does not know.
        sinks
            .email
            .row(&[&local(ts, london, fmt), email, "spam_report", &camp])?;
        sinks.count(EMAIL, true, false);
    }
    Ok(())
}

/// An SMS send, in epoch seconds.
fn emit_sms(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    sinks: &mut Sinks,
    units: &mut BTreeMap<(i64, Ch), u64>,
) -> Result<()> {
    let day = ts.div_euclid(DAY);
    let phone = p.phone.as_deref().unwrap_or_default();
    *units.entry((day, Ch::Sms)).or_default() += 1;
    let camp = campaign(rng, "sms");
    sinks
        .sms
        .row(&[&(ts / 1_000_000).to_string(), phone, &camp])?;
    sinks.count(SMS, false, false);
    if sinks.plant_bad(rng) {
        sinks.sms.row(&["", phone, &camp])?;
        sinks.count(SMS, true, false);
    }
    Ok(())
}

/// A push notification to the person's app device, with a UTC offset.
fn emit_push(rng: &mut ChaCha8Rng, p: &Person, ts: i64, sinks: &mut Sinks) -> Result<()> {
    let app_dev = p
        .devices
        .iter()
        .find_map(|d| d.app_id.as_deref())
        .unwrap_or_default();
    // The push provider exports central European summer time with its offset.
    let sent = local(ts, chrono_tz::Etc::GMTMinus2, "%Y-%m-%dT%H:%M:%S%:z");
    let camp = campaign(rng, "push");
    let platform = if rng.gen_bool(0.55) { "ios" } else { "android" };
    sinks.push.row(
        &json!({"device": app_dev, "sent_at": sent, "campaign": camp, "platform": platform}),
    )?;
    sinks.count(PUSH, false, false);
    if sinks.plant_bad(rng) {
        // A line cut off mid-write (NDJSON only).
        let cut = &app_dev[..app_dev.len().min(8)];
        if sinks
            .push
            .broken_line(&format!("{{\"device\": \"{cut}\n"))?
        {
            sinks.count(PUSH, true, false);
        }
    }
    Ok(())
}

/// An enquiry call (sometimes a complaint, ignored), New York local time.
fn emit_call(rng: &mut ChaCha8Rng, p: &Person, ts: i64, sinks: &mut Sinks) -> Result<()> {
    let phone = p.phone.as_deref().unwrap_or_default();
    let t = local(ts, chrono_tz::America::New_York, "%Y-%m-%d %H:%M:%S");
    sinks.calls.row(&[&t, phone, "enquiry", "", p.region])?;
    sinks.count(CALLS, false, false);
    if rng.gen_bool(0.1) {
        sinks.calls.row(&[&t, phone, "complaint", "", p.region])?;
        sinks.count(CALLS, false, true);
    }
    if sinks.plant_bad(rng) {
        // A row cut short by the export (CSV only).
        if sinks.calls.row(&[&t, phone])? {
            sinks.count(CALLS, true, false);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn push_ad(
    sinks: &mut Sinks,
    id: &str,
    click_time: i64,
    cookie: &str,
    platform: &str,
    ad_type: &str,
    campaign: &str,
    cost: f64,
) -> Result<()> {
    let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
    let cols = &mut sinks.ads.columns;
    let values = [
        Some(id),
        None,
        Some(cookie),
        Some(platform),
        Some(ad_type),
        Some(campaign),
    ];
    for (c, v) in cols.iter_mut().zip(values) {
        match c {
            ColumnBuf::Str(col) => col.push(v.and_then(s)),
            ColumnBuf::Datetime { micros, .. } => micros.push(click_time),
            ColumnBuf::F64(_) | ColumnBuf::I64(_) => {}
        }
    }
    if let Some(ColumnBuf::F64(col)) = cols.last_mut() {
        col.push(Some(cost));
    }
    sinks.ads.row_done()
}

pub(super) fn emit_app_session(
    rng: &mut ChaCha8Rng,
    p: &Person,
    dev: usize,
    ts: i64,
    source: &str,
    medium: &str,
    sinks: &mut Sinks,
) -> Result<()> {
    let device = &p.devices[dev];
    let logged_in = p.logs_in && p.user_id.is_some() && rng.gen_bool(0.8);
    let user = if logged_in {
        json!(p.user_id)
    } else {
        match sinks.missing(rng) {
            "" => json!(null),
            junk => json!(junk),
        }
    };
    // Devices with ad tracking limited report the nil UUID.
    let device_id = match sinks.missing(rng) {
        "" => json!(device.app_id),
        _ => json!("00000000-0000-0000-0000-000000000000"),
    };
    let row = json!({
        "ts": ts / 1000,
        "device_id": device_id,
        "user_id": user,
        "attr_source": source,
        "attr_medium": medium,
        "device_type": device.kind.name(),
    });
    sinks.app.row(&row)?;
    sinks.count(APP, false, false);
    if sinks.plant_bad(rng) {
        // Milliseconds exported as microseconds: far in the future.
        let mut bad = row.clone();
        bad["ts"] = json!(ts * 1000);
        sinks.app.row(&bad)?;
        sinks.count(APP, true, false);
    }
    Ok(())
}

pub(super) fn emit_web_session(
    rng: &mut ChaCha8Rng,
    p: &Person,
    dev: usize,
    ts: i64,
    ch: Ch,
    sinks: &mut Sinks,
) -> Result<()> {
    let device = &p.devices[dev];
    let (source, medium, campaign, referrer): (&str, &str, String, &str) = match ch {
        Ch::OrganicSearch => match rng.gen_range(0..3) {
            0 => (
                "google",
                "organic",
                String::new(),
                "https://www.google.com/",
            ),
            1 => ("", "", String::new(), "https://www.google.com/"),
            _ => ("", "", String::new(), "https://www.bing.com/"),
        },
        Ch::OrganicSocial => match rng.gen_range(0..2) {
            0 => ("instagram", "social", "summer_ugc".into(), ""),
            _ => ("", "", String::new(), "https://www.facebook.com/"),
        },
        Ch::Referral => (
            "",
            "",
            String::new(),
            *pick(
                rng,
                &[
                    "https://blog.example.org/best-of",
                    "https://news.example.net/deals",
                ],
            ),
        ),
        Ch::Affiliates => (
            "awin",
            "affiliate",
            "cashback".into(),
            "https://partner.example.com/",
        ),
        _ => ("", "", String::new(), ""),
    };
    let logged_in = p.logs_in && p.user_id.is_some() && rng.gen_bool(0.35);
    let login = if logged_in {
        p.user_id.as_deref().unwrap_or_default()
    } else {
        sinks.missing(rng)
    };
    let session = format!("s{:016x}", mix(ts as u64 ^ mix(p.idx ^ 0x77)));
    let page = *pick(rng, &["/", "/products", "/sale", "/product/123", "/stores"]);
    let t = rfc3339(ts);
    sinks.web.row(&[
        &session,
        &t,
        &device.cookie,
        login,
        source,
        medium,
        &campaign,
        referrer,
        page,
        device.kind.name(),
        p.region,
    ])?;
    sinks.count(WEB, false, false);
    if sinks.plant_bad(rng) {
        // A session whose start time was written in an unparseable format.
        let bad_time = local(ts, chrono_tz::UTC, "%b %e %Y %l:%M%p");
        sinks.web.row(&[
            &session,
            &bad_time,
            &device.cookie,
            login,
            source,
            medium,
            &campaign,
            referrer,
            page,
            device.kind.name(),
            p.region,
        ])?;
        sinks.count(WEB, true, false);
    }
    Ok(())
}

pub(super) fn emit_conversion(
    rng: &mut ChaCha8Rng,
    p: &Person,
    ts: i64,
    place: Place,
    value: f64,
    sinks: &mut Sinks,
) -> Result<()> {
    match place {
        Place::Store => {
            let receipt = if rng.gen_bool(0.4) {
                p.email.clone()
            } else {
                None
            };
            push_pos(
                sinks,
                ts,
                p.loyalty.clone(),
                receipt.clone(),
                p.region,
                value,
            )?;
            sinks.count(POS, false, false);
            if sinks.plant_bad(rng) {
                // A refund exported as a negative amount.
                push_pos(sinks, ts, p.loyalty.clone(), receipt, p.region, -value)?;
                sinks.count(POS, true, false);
            }
        }
        Place::Phone => {
            let phone = p.phone.as_deref().unwrap_or_default();
            let t = local(ts, chrono_tz::America::New_York, "%Y-%m-%d %H:%M:%S");
            sinks
                .calls
                .row(&[&t, phone, "order", &format!("{value:.2}"), p.region])?;
            sinks.count(CALLS, false, false);
        }
        Place::Web(dev) | Place::App(dev) => {
            let app = matches!(place, Place::App(_));
            let device = &p.devices[dev];
            let order = format!("o{:016x}", mix(ts as u64 ^ mix(p.idx ^ 0x99)));
            let cookie = if app { "" } else { device.cookie.as_str() };
            let app_dev = if app {
                device.app_id.as_deref().unwrap_or_default()
            } else {
                ""
            };
            // Registered people check out logged in (guest orders sometimes carry junk);
            // the order confirmation goes to the person's email when they have one.
            let user = match &p.user_id {
                Some(u) => u.as_str(),
                None => sinks.missing(rng),
            };
            let guest = p.email.as_deref().unwrap_or_default();
            let revenue = format!("{value:.2}");
            let platform = if app { "app" } else { "web" };
            let t = rfc3339(ts);
            sinks.orders.row(&[
                &order,
                &t,
                cookie,
                app_dev,
                user,
                guest,
                platform,
                &revenue,
                "online_order",
                p.region,
            ])?;
            sinks.count(ORDERS, false, false);
            if sinks.plant_bad(rng) {
                sinks.orders.row(&[
                    &order,
                    &t,
                    cookie,
                    app_dev,
                    user,
                    guest,
                    platform,
                    "N/A",
                    "online_order",
                    p.region,
                ])?;
                sinks.count(ORDERS, true, false);
            }
        }
    }
    Ok(())
}

pub(super) fn push_pos(
    sinks: &mut Sinks,
    ts: i64,
    loyalty: Option<String>,
    receipt: Option<String>,
    region: &str,
    amount: f64,
) -> Result<()> {
    if let [ColumnBuf::Datetime { micros, .. }, ColumnBuf::Str(l), ColumnBuf::Str(r), ColumnBuf::Str(g), ColumnBuf::F64(a)] =
        &mut sinks.pos.columns[..]
    {
        micros.push(ts);
        l.push(loyalty);
        r.push(receipt);
        g.push(Some(region.to_string()));
        a.push(Some(amount));
    }
    sinks.pos.row_done()
}

pub(super) fn write_spend(out: &Path, seed: u64, units: &BTreeMap<(i64, Ch), u64>) -> Result<()> {
    let mut spend = CsvSink::create(
        &out.join("spend.csv"),
        &["date", "channel", "cost"],
        b',',
        false,
        false,
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ 0x5BE2D));
    for ((day, ch), n) in units {
        let (name, unit_cost) = match ch {
            Ch::PaidSearch => ("Paid Search", 1.4),
            Ch::PaidSocial => ("Paid Social", 0.9),
            Ch::PaidVideo => ("Paid Video", 0.6),
            Ch::Display => ("Display", 0.4),
            Ch::Email => ("Email", 0.05),
            Ch::Sms => ("SMS", 0.08),
            _ => continue,
        };
        let date = DateTime::<Utc>::from_timestamp_micros(day * DAY)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let cost = *n as f64 * unit_cost * (0.9 + 0.2 * rng.gen::<f64>());
        spend.row(&[&date, name, &format!("{cost:.2}")])?;
    }
    spend.finish()
}
