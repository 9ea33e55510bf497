//! The console's overview section, over HTTP and in headless Chromium.
