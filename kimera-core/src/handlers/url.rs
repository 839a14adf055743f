//! `url::Url` (feature `url`): its text in every format.

use url::Url;

use crate::{Foreign, KimeraHandler, Schema};

impl KimeraHandler for Url {
    const SCHEMA: &'static Schema = &Schema::Foreign(&Foreign::uniform("url", &Schema::Str));
}
