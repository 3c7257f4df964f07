// SPDX-License-Identifier: GPL-2.0

//! debugfs directories and files that hold the module while open.
//!
//! The shape of `kernel::debugfs` (a [`Dir`], its subdirectories, files
//! that show a `Debug` value and may take writes through a
//! [`kernel::debugfs::Reader`]), with one difference: the files'
//! `file_operations` (in the C shim, `pkrs_dbgfs_*`) name this module as
//! their owner. The kernel crate's leave the owner NULL, so a file held
//! open across `rmmod` is released afterwards through the unloaded
//! module's memory (debugfs's `full_proxy_release()` reads the real
//! `file_operations`, which live in the module). With an owner, an open
//! file holds a reference on the module and `rmmod` is refused until it is
//! closed, as for any C module's debugfs file.
//!
//! Parents outlive their children: a [`File`] or a subdirectory holds a
//! reference on its directory, which is removed when the last one goes.
//! Dropping a [`File`] removes it (waiting for a read or write in progress)
//! before its value is freed. Without debugfs everything is a no-op.

use crate::shim_bindings as shim;
use core::fmt::{Debug, Write};
use kernel::bindings;
use kernel::debugfs::Reader;
use kernel::ffi::{c_char, c_int, c_long, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::{UserPtr, UserSlice};

/// A dentry of ours, removed (recursively) when dropped, after its parent
/// reference is no longer needed by it.
struct Entry {
    dentry: *mut bindings::dentry,
    // Dropped after `dentry` is removed (field order: `Drop` runs first).
    _parent: Option<Arc<Entry>>,
}

// SAFETY: a dentry pointer is usable from any thread; debugfs locks its
// own state.
unsafe impl Send for Entry {}
// SAFETY: as above; `&Entry` only reads the pointer.
unsafe impl Sync for Entry {}

impl Drop for Entry {
    fn drop(&mut self) {
        // SAFETY: our dentry (or an ERR_PTR/NULL, which debugfs_remove()
        // ignores); its children hold references on this entry, so they
        // are gone already.
        unsafe { shim::pkrs_dbgfs_remove(self.dentry) };
    }
}

/// Whether `p` is a usable dentry (not NULL, not an `ERR_PTR`).
fn usable(p: *mut bindings::dentry) -> bool {
    // CAST: an ERR_PTR is the top 4095 values of the address space.
    !p.is_null() && (p as usize) < (-4095isize) as usize
}

/// A debugfs directory (none when debugfs is off or it could not be made).
pub(crate) struct Dir(Option<Arc<Entry>>);

impl Dir {
    /// A directory `name` at the debugfs root.
    pub(crate) fn new(name: &CStr) -> Self {
        Self::make(name, None)
    }

    /// A directory `name` inside this one.
    pub(crate) fn subdir(&self, name: &CStr) -> Self {
        Self::make(name, self.0.as_ref())
    }

    fn make(name: &CStr, parent: Option<&Arc<Entry>>) -> Self {
        let pd = parent.map_or(core::ptr::null_mut(), |p| p.dentry);
        if parent.is_some() && !usable(pd) {
            return Self(None);
        }
        // SAFETY: `name` is NUL-terminated; `pd` is NULL (the root) or a
        // live directory of ours, kept by the reference taken below.
        let d = unsafe { shim::pkrs_dbgfs_dir(name.as_char_ptr(), pd) };
        if !usable(d) {
            return Self(None);
        }
        let e = Entry {
            dentry: d,
            _parent: parent.cloned(),
        };
        match Arc::new(e, GFP_KERNEL) {
            Ok(a) => Self(Some(a)),
            // The entry was dropped, and with it the directory removed.
            Err(_) => Self(None),
        }
    }

    /// A file `name` (mode 0400) that reads as `{:?}` of `data`.
    pub(crate) fn read_only_file<T: Debug + Send + Sync>(
        &self,
        name: &CStr,
        data: T,
    ) -> Result<KBox<File<T>>> {
        self.file(name, data, None)
    }

    /// A file `name` (mode 0600) that reads as `{:?}` of `data` and hands
    /// each write to `data`'s [`Reader`] (its error fails the write).
    pub(crate) fn read_write_file<T: Debug + Reader + Send + Sync>(
        &self,
        name: &CStr,
        data: T,
    ) -> Result<KBox<File<T>>> {
        self.file(name, data, Some(write::<T>))
    }

    fn file<T: Debug + Send + Sync>(
        &self,
        name: &CStr,
        data: T,
        write: Option<unsafe extern "C" fn(*const c_void, *const c_char, usize) -> c_long>,
    ) -> Result<KBox<File<T>>> {
        let mut f = KBox::new(
            File {
                dentry: core::ptr::null_mut(),
                node: shim::pkrs_dbgfs_node {
                    show: Some(show::<T>),
                    write,
                    data: core::ptr::null(),
                },
                data,
                _parent: self.0.clone(),
            },
            GFP_KERNEL,
        )?;
        f.node.data = core::ptr::from_ref(&f.data).cast();
        if let Some(p) = self.0.as_ref().filter(|p| usable(p.dentry)) {
            // SAFETY: `name` is NUL-terminated; `p` is a live directory of
            // ours (`f` holds a reference on it); the node and the value it
            // points to are boxed with `f` and outlive the file, which
            // `File::drop` removes first.
            f.dentry = unsafe { shim::pkrs_dbgfs_file(name.as_char_ptr(), p.dentry, &f.node) };
        }
        Ok(f)
    }
}

/// A debugfs file showing a `T`; removed when dropped.
pub(crate) struct File<T> {
    dentry: *mut bindings::dentry,
    node: shim::pkrs_dbgfs_node,
    data: T,
    // Dropped last: the directory outlives the file.
    _parent: Option<Arc<Entry>>,
}

// SAFETY: the raw pointers are the file's own dentry and a pointer into
// the file itself; `T` is `Send`.
unsafe impl<T: Send> Send for File<T> {}
// SAFETY: `&File` only reads; the callbacks get `&T`, and `T` is `Sync`.
unsafe impl<T: Sync> Sync for File<T> {}

impl<T> Drop for File<T> {
    fn drop(&mut self) {
        // SAFETY: our dentry, or NULL/ERR_PTR (ignored). debugfs_remove()
        // waits for the calls in progress; afterwards the callbacks are not
        // called again, so `node` and `data` may go.
        unsafe { shim::pkrs_dbgfs_remove(self.dentry) };
    }
}

/// A `seq_file` as a `fmt::Write` target.
struct Seq(*mut bindings::seq_file);

impl Write for Seq {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: the seq_file of the `show()` call in progress.
        unsafe { shim::pkrs_seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// `show()` of a file of `T`.
///
/// # Safety
///
/// `data` points to the `T` of a live [`File`]; `m` is the call's
/// seq_file.
unsafe extern "C" fn show<T: Debug>(m: *mut bindings::seq_file, data: *const c_void) -> c_int {
    // SAFETY: by the function's safety requirements.
    let v = unsafe { &*data.cast::<T>() };
    // A full buffer is seq_file's to handle (it calls again, larger).
    let _ = write!(Seq(m), "{v:?}");
    0
}

/// `write()` of a file of `T`.
///
/// # Safety
///
/// `data` points to the `T` of a live [`File`]; `ubuf` is a user address
/// of `len` bytes.
unsafe extern "C" fn write<T: Reader>(
    data: *const c_void,
    ubuf: *const c_char,
    len: usize,
) -> c_long {
    // SAFETY: by the function's safety requirements.
    let v = unsafe { &*data.cast::<T>() };
    let mut r = UserSlice::new(UserPtr::from_ptr(ubuf.cast_mut().cast()), len).reader();
    match v.read_from_slice(&mut r) {
        // CAST: a write's length fits in a `long` (the VFS caps it).
        Ok(()) => len as c_long,
        // CAST: an errno fits in a `long`.
        Err(e) => e.to_errno() as c_long,
    }
}
