//! A `multipart/form-data` upload (the caseload import's API and page): the file part is streamed
//! into a temporary file, never held in memory as a whole; the other parts are short text fields.

use crate::error::AppError;
use actix_multipart::Multipart;
use futures_util::StreamExt;
use std::io::Write;

/// The most an uploaded file may hold (a 500,000-row caseload is about 100 MB as CSV).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// The most a text field may hold (a mapping file is a few hundred bytes).
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// What a form sent: the file (its name and where it now is) and the text fields.
pub struct Upload {
    pub file: Option<(String, tempfile::NamedTempFile)>,
    pub fields: Vec<(String, String)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }
}

/// Reads the whole upload. `file_part` names the part that carries the file; a text part that is
/// itself a file (e.g. the mapping) is read as text.
pub async fn read(mut mp: Multipart, file_part: &str) -> Result<Upload, AppError> {
    let broken = |e: &dyn std::fmt::Display| AppError::field(file_part, format!("Het bestand kwam niet goed aan: {e}"));
    let mut up = Upload { file: None, fields: vec![] };
    while let Some(part) = mp.next().await {
        let mut part = part.map_err(|e| broken(&e))?;
        let name = part.name().unwrap_or_default().to_string();
        if name == file_part {
            let file_name = part.content_disposition().and_then(|d| d.get_filename()).unwrap_or("bestand").to_string();
            let mut tmp = tempfile::NamedTempFile::new().map_err(|e| AppError::Internal(e.into()))?;
            let mut size = 0u64;
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(|e| broken(&e))?;
                size += chunk.len() as u64;
                if size > MAX_FILE_BYTES {
                    return Err(AppError::field(file_part, format!("Het bestand is groter dan {} MB.", MAX_FILE_BYTES >> 20)));
                }
                tmp.write_all(&chunk).map_err(|e| AppError::Internal(e.into()))?;
            }
            tmp.flush().map_err(|e| AppError::Internal(e.into()))?;
            if size > 0 {
                up.file = Some((file_name, tmp));
            }
        } else {
            let mut buf = Vec::new();
            while let Some(chunk) = part.next().await {
                let chunk = chunk.map_err(|e| broken(&e))?;
                if buf.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(AppError::field(&name, "Dit veld is te lang."));
                }
                buf.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(buf).map_err(|_| AppError::field(&name, "Dit veld is geen tekst (UTF-8)."))?;
            up.fields.push((name, text));
        }
    }
    Ok(up)
}
