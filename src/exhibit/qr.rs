//! QR codes of records' public addresses, as SVG to inline in a page: a
//! vector code prints sharp at any size and needs no image file.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The address of a record on the public site: `base` (the server's
/// `--public-url`) and the record's path, each part of the id
/// percent-encoded so that any phone reader opens it.
pub fn public_address(base: &str, id: &str) -> String {
    let mut out = String::with_capacity(base.len() + id.len() + 16);
    out.push_str(base.trim_end_matches('/'));
    out.push_str("/records");
    for part in id.split('/') {
        out.push('/');
        for byte in part.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
                _ => out.push_str(&format!("%{byte:02X}")),
            }
        }
    }
    out
}

/// The QR code of `text` as an `<svg>` element (no XML declaration), or
/// `None` when the text is too long for a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    // Level M survives a scuffed or partly covered print of a board.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg")?;
    // Inline in HTML an SVG needs no namespace: without it the page holds
    // no address but the records' own.
    Some(image[start..].replace(" xmlns=\"http://www.w3.org/2000/svg\"", ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_encoded_and_codes_are_svg() {
        assert_eq!(
            public_address("https://zhihui.example.cn/", "tunnel-zhang/管片 修复"),
            "https://zhihui.example.cn/records/tunnel-zhang/%E7%AE%A1%E7%89%87%20%E4%BF%AE%E5%A4%8D"
        );
        let svg = qr_svg("https://zhihui.example.cn/records/a/b").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<?xml") && !svg.contains("http"), "{svg}");
        assert!(qr_svg(&"x".repeat(5000)).is_none());
    }
}
