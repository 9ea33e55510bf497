//! The console's keys section, over HTTP and in headless Chromium.
