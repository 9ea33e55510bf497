//! The console's policies section, over HTTP and in headless Chromium.
