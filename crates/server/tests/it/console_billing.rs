//! The console's billing section, over HTTP and in headless Chromium.
