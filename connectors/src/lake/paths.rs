//! Path safety: every path a statement names must resolve inside a zone. Paths are written
//! `<zone>/<path inside the zone>`; a full URL is accepted only if it lies inside a zone's root.

use url::Url;

use super::error::{LakeError, LakeResult};
use super::zone::Zone;

/// The zone and URL a client-given path stands for, or [`LakeError::OutsideLake`].
pub fn resolve<'z>(zones: &'z [Zone], given: &str) -> LakeResult<(&'z Zone, Url)> {
    let refuse = |why: &str| {
        LakeError::OutsideLake(format!(
            "path \"{given}\" is outside the lake: {why}; write <zone>/<path>, \
             where the zone is one of {}",
            zones
                .iter()
                .map(|z| z.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    if given.contains('\\') || given.contains('\0') {
        return Err(refuse("backslashes and NUL are not allowed"));
    }
    if given.contains("://") {
        let url = Url::parse(given).map_err(|_| refuse("not a valid URL"))?;
        // Url::parse already folded `..`; the raw text must not have tried it either.
        if has_dot_segment(given) {
            return Err(refuse("\".\" and \"..\" segments are not allowed"));
        }
        return zones
            .iter()
            .find(|z| url.as_str().starts_with(z.url.as_str()) && url != z.url)
            .map(|z| (z, url.clone()))
            .ok_or_else(|| refuse("it is not inside any zone's root"));
    }
    if given.starts_with('/') || given.starts_with('~') {
        return Err(refuse("absolute paths are not allowed"));
    }
    if has_dot_segment(given) || given.contains('%') {
        return Err(refuse(
            "\".\", \"..\" and percent-encoded segments are not allowed",
        ));
    }
    let (zone_name, rest) = given.split_once('/').unwrap_or((given, ""));
    let zone = zones
        .iter()
        .find(|z| z.name.eq_ignore_ascii_case(zone_name))
        .ok_or_else(|| refuse("it does not start with a zone name"))?;
    let folder = rest.ends_with('/');
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.split('/').any(str::is_empty) {
        return Err(refuse("it names no file or folder inside the zone"));
    }
    let mut url = zone.join(rest);
    if folder {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok((zone, url))
}

fn has_dot_segment(s: &str) -> bool {
    s.split(['/', '\\'])
        .any(|seg| seg == ".." || seg == "." || seg.eq_ignore_ascii_case("%2e%2e"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::S3Options;

    fn zones(dir: &std::path::Path) -> Vec<Zone> {
        ["bronze", "gold"]
            .iter()
            .map(|z| Zone::open(z, dir.join(z).to_str().unwrap(), &S3Options::default()).unwrap())
            .collect()
    }

    #[test]
    fn zone_relative_paths_resolve_inside() {
        let dir = tempfile::tempdir().unwrap();
        let zones = zones(dir.path());
        let (zone, url) = resolve(&zones, "gold/exports/a b.parquet").unwrap();
        assert_eq!(zone.name, "gold");
        assert!(url.as_str().starts_with(zones[1].url.as_str()));
        assert!(url.as_str().ends_with("exports/a%20b.parquet"));
    }

    #[test]
    fn escaping_paths_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let zones = zones(dir.path());
        for bad in [
            "/etc/passwd",
            "../etc/passwd",
            "gold/../../etc/passwd",
            "gold/./x",
            "gold/%2e%2e/x",
            "silverish/x",
            "file:///etc/passwd",
            "s3://other-bucket/x",
            "http://example.com/x",
            "gold",
            "gold//x",
            "~/x",
            "gold\\..\\x",
        ] {
            match resolve(&zones, bad) {
                Err(LakeError::OutsideLake(m)) => assert!(m.contains("outside the lake"), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let inside = format!("{}x.csv", zones[0].url);
        assert_eq!(resolve(&zones, &inside).unwrap().0.name, "bronze");
        let sneaky = format!("{}../gold/x.csv", zones[0].url);
        assert!(resolve(&zones, &sneaky).is_err());
    }

    #[test]
    fn bad_zone_configuration_is_refused_with_its_name() {
        let e = Zone::open("gold", "ftp://host/lake", &S3Options::default()).unwrap_err();
        assert!(e.to_string().contains("ftp"), "{e}");
        let e = Zone::open("gold", "s3:///no-bucket", &S3Options::default()).unwrap_err();
        assert!(e.to_string().contains("bucket"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let decl = crate::lake::TableDecl {
            name: "t".into(),
            zone: "platinum".into(),
            uri: None,
            format: None,
            options: Default::default(),
            partition_columns: vec![],
            description: None,
        };
        let e = crate::lake::Lake::open(
            &Default::default(),
            dir.path(),
            &S3Options::default(),
            vec![decl],
        )
        .unwrap_err();
        assert!(e.to_string().contains("platinum"), "{e}");
    }
}
